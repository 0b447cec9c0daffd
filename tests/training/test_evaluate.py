"""Evaluating the tiny Qwen2.5-VL through the transformers backend: `thinkset eval` records the eval
artifact with edges to the snapshot and the registered model; `thinkset train evaluate` delegates to it."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from curation.cli import app
from training.eval import run_eval


def test_tiny_model_eval_creates_the_artifact_and_edges(demo_store, tiny_model_dir):
    sft = demo_store.open("sft-demo").info
    model_id = demo_store.register_artifact(name="tiny-sft", kind="model", path=str(tiny_model_dir.resolve()),
                                            edges=[(sft.id, "trained_on")])
    result = run_eval(demo_store, str(tiny_model_dir), "pool-demo", limit=2, max_new_tokens=4)
    assert (result.n, result.backend, result.model, result.model_id) == (2, "transformers", "tiny-sft@v1", model_id)
    rows = result.rows()
    assert rows.height == 2 and rows["response"].null_count() == 0
    assert 0.0 <= result.ci95[0] <= result.accuracy <= result.ci95[1] <= 1.0
    edges = {e["kind"]: e["src_id"] for e in demo_store.catalog.query(
        "SELECT src_id, kind FROM edges WHERE dst_id = ?", [result.artifact_id])}
    assert edges == {"evaluated_on": demo_store.open("pool-demo").info.id, "evaluated": model_id}
    again = run_eval(demo_store, "tiny-sft", "pool-demo", limit=2, max_new_tokens=4)  # by artifact name
    assert again.reused and again.artifact_id == result.artifact_id


def test_train_evaluate_delegates_to_eval(demo_store, tiny_model_dir, tmp_path):
    results = tmp_path / "rows.parquet"
    out = CliRunner().invoke(app, ["train", "evaluate", str(tiny_model_dir), "pool-demo", "--limit", "2",
                                   "--max-new-tokens", "4", "--results", str(results), "--store",
                                   str(demo_store.root), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["n"] == 2 and data["artifact_id"] and results.is_file()
