"""`thinkset eval`: an eval, its JSON, `--compare A B` side by side with the difference, `--list`, errors."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from curation.cli import app

runner = CliRunner()


def invoke(store, *args: str):
    result = runner.invoke(app, ["eval", *args, "--store", str(store.root)])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_eval_prints_accuracy_with_interval_and_a_table_per_source(demo_store):
    out = invoke(demo_store, "synthetic-teacher", "--on", "pool-demo", "--backend", "synthetic", "--k", "2")
    assert "synthetic-teacher on pool-demo@v1: accuracy" in out and "over 8 problems (k=2" in out
    assert "by source" in out and "synth_geometry" in out and "pass@2" in out
    data = json.loads(invoke(demo_store, "synthetic-teacher", "--on", "pool-demo@v1", "--backend", "synthetic",
                             "--k", "2", "--json"))
    assert data["reused"] is True and data["n"] == 8 and set(data["pass_at_k"]) == {"1", "2"}
    assert data["ci95"][0] <= data["accuracy"] <= data["ci95"][1]


def test_compare_prints_both_evals_and_the_paired_difference(demo_store):
    first = json.loads(invoke(demo_store, "synthetic-teacher", "--on", "pool-demo", "--backend", "synthetic",
                              "--json"))
    second = json.loads(invoke(demo_store, "synthetic-teacher", "--on", "pool-demo", "--backend", "synthetic",
                               "--style", "mathvision", "--k", "4", "--json"))
    data = json.loads(invoke(demo_store, "--compare", first["artifact_id"], second["name"], "--json"))
    overall = data["rows"][0]
    assert overall["group"] == "overall" and overall["paired"] is True
    assert overall["difference"] == round(first["accuracy"] - second["accuracy"], 6)
    low, high = overall["ci_difference"]
    assert low <= overall["difference"] <= high
    assert {row["group"] for row in data["rows"][1:]} == set(first["by_source"])
    table = invoke(demo_store, "--compare", first["artifact_id"], second["artifact_id"])
    assert "paired: both scored the same problems" in table and "A - B" in table
    assert f"{100 * (first['accuracy'] - second['accuracy']):+.1f}" in table
    listing = invoke(demo_store, "--list")
    assert first["artifact_id"] in listing and second["artifact_id"] in listing


def test_compare_by_model_name_picks_evals_on_a_common_snapshot(demo_store, tmp_path):
    sft = demo_store.open("sft-demo").info
    demo_store.register_artifact(name="model-a", kind="model", path=tmp_path / "a", edges=[(sft.id, "trained_on")])
    invoke(demo_store, "model-a", "--on", "pool-demo", "--backend", "synthetic", "--model-name", "synthetic-teacher",
           "--limit", "4")
    invoke(demo_store, "synthetic-teacher", "--on", "pool-demo", "--backend", "synthetic", "--limit", "4")
    data = json.loads(invoke(demo_store, "--compare", "model-a", "synthetic-teacher", "--json"))
    assert data["a"]["model"] == "model-a@v1" and data["b"]["model"] == "synthetic-teacher"
    assert data["rows"][0]["paired"] is True and data["rows"][0]["difference"] == 0.0  # same answers


def test_errors_name_what_is_wrong(demo_store):
    result = runner.invoke(app, ["eval", "synthetic-teacher", "--on", "nope", "--backend", "synthetic",
                                 "--store", str(demo_store.root)])
    assert result.exit_code == 2 and "no snapshot 'nope'" in result.output
    result = runner.invoke(app, ["eval", "--compare", "x", "y", "--store", str(demo_store.root)])
    assert result.exit_code == 2 and "no eval of 'x'" in result.output
    result = runner.invoke(app, ["eval", "synthetic-teacher", "--store", str(demo_store.root)])
    assert result.exit_code == 2 and "--on SNAPSHOT" in result.output
