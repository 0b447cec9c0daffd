"""evaluate: generate through a curation backend, grade with curation.verify, record the eval in the catalog."""

from __future__ import annotations

import polars as pl
from typer.testing import CliRunner

from curation.cli import app
from curation.verify import grade
from training.evaluate import evaluate


def test_synthetic_teacher_accuracy_matches_the_grader(demo_store, tmp_path):
    results = tmp_path / "eval.parquet"
    outcome = evaluate("pool-demo", "synthetic-teacher", store=demo_store, backend="synthetic",
                       results_path=results)
    rows = pl.read_parquet(results)
    assert outcome.rows == rows.height == demo_store.open("pool-demo").info.rows
    regraded = [grade(r["response"], r["answer"]).correct for r in rows.iter_rows(named=True)]
    assert rows["correct"].to_list() == regraded
    assert outcome.accuracy == round(sum(regraded) / len(regraded), 4) > 0
    assert set(outcome.by_source) == set(rows["source"])
    edges = demo_store.catalog.query("SELECT kind FROM edges WHERE dst_id = ?", [outcome.artifact_id])
    assert [e["kind"] for e in edges] == ["evaluated_on"]


def test_cli_evaluates_the_tiny_model(demo_store, tiny_model_dir):
    result = CliRunner().invoke(app, ["train", "evaluate", str(tiny_model_dir), "pool-demo", "--limit", "2",
                                      "--max-new-tokens", "4", "--store", str(demo_store.root), "--json"])
    assert result.exit_code == 0, result.output
    assert '"rows": 2' in result.stdout and '"accuracy"' in result.stdout
