"""run_eval end to end with the synthetic backend: the eval artifact, its edges and figures, the no-op
re-run, resume after kill -9, and the decontamination warning."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest

import curation.generate.runner as runner
from curation.verify import grade
from training.eval import EvalError, run_eval
from training.eval.generate import eval_cache_path
from training.eval.stats import wilson

K = 4


@pytest.fixture
def count_generated(monkeypatch):
    generated: list[str] = []
    monkeypatch.setattr(runner, "after_result", lambda result: generated.append(result.key))
    return generated


def test_eval_records_an_artifact_with_edges_rows_and_figures(demo_store, count_generated):
    result = run_eval(demo_store, "synthetic-teacher", "pool-demo", backend="synthetic", k=K)
    pool = demo_store.open("pool-demo")
    rows = result.rows()
    assert result.n == pool.info.rows and rows.height == pool.info.rows * K == len(count_generated)
    regraded = [grade(r["response"], r["answer"], choices=r["choices"]).correct for r in rows.iter_rows(named=True)]
    assert rows["correct"].to_list() == regraded  # default style is the curation grader
    assert result.accuracy == pytest.approx(sum(regraded) / len(regraded), abs=1e-6) == result.pass_at_k[1]
    assert result.ci95 == pytest.approx(wilson(result.accuracy * result.n, result.n), abs=1e-6)
    assert set(result.pass_at_k) == {1, 2, 4} and result.pass_at_k[1] <= result.pass_at_k[2] <= result.pass_at_k[4]
    assert set(result.by_source) == set(rows["source"])
    assert sum(g.n for g in result.by_source.values()) == result.n
    edges = demo_store.catalog.query("SELECT src_id, kind FROM edges WHERE dst_id = ?", [result.artifact_id])
    assert edges == [{"src_id": pool.info.id, "kind": "evaluated_on"}]
    artifact = demo_store.catalog.query("SELECT artifact_type, name, version FROM artifacts WHERE id = ?",
                                        [result.artifact_id])[0]
    assert (artifact["artifact_type"], f"{artifact['name']}@v{artifact['version']}") == ("eval", result.name)
    scores = pl.DataFrame(demo_store.catalog.query("SELECT * FROM eval_scores WHERE eval_id = ?",
                                                   [result.artifact_id]))
    overall = scores.filter(dimension="overall", metric="pass@4")
    assert overall["score"].item() == result.pass_at_k[4]
    assert scores.filter(dimension="source", metric="pass@1").height == len(result.by_source)


def test_the_same_eval_again_is_a_no_op(demo_store, count_generated):
    first = run_eval(demo_store, "synthetic-teacher", "pool-demo", backend="synthetic", limit=3)
    generated = len(count_generated)
    again = run_eval(demo_store, "synthetic-teacher", "pool-demo", backend="synthetic", limit=3)
    assert again.reused and not first.reused and len(count_generated) == generated == 3
    assert (again.artifact_id, again.name, again.accuracy, again.by_source) == (
        first.artifact_id, first.name, first.accuracy, first.by_source)
    assert demo_store.catalog.query("SELECT count(*) AS n FROM eval_runs")[0]["n"] == 1
    other = run_eval(demo_store, "synthetic-teacher", "pool-demo", backend="synthetic", limit=3, style="mathvista")
    assert other.artifact_id != first.artifact_id and len(count_generated) == 3  # answers come from the cache


CRASHING_EVAL = textwrap.dedent("""
    import functools, os, signal, sys
    import curation.generate.runner as runner
    import training.eval.generate as generate
    from curation.store import Store
    from training.eval import run_eval

    # commit every 4 results so that a kill leaves a known part of the work durable
    generate.GenerationCache = functools.partial(generate.GenerationCache, commit_every=4, commit_seconds=60)
    seen = 0

    def crash(result):
        global seen
        seen += 1
        if seen == int(sys.argv[2]):
            os.kill(os.getpid(), signal.SIGKILL)

    runner.after_result = crash
    run_eval(Store(sys.argv[1]), "synthetic-teacher", "pool-demo", backend="synthetic", k=4)
    sys.exit("the eval was expected to be killed")
""")


def test_a_killed_eval_resumes_without_asking_twice(demo_store, count_generated):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    killed = subprocess.run([sys.executable, "-c", CRASHING_EVAL, str(demo_store.root), "14"], env=env,
                            capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr
    import sqlite3

    with sqlite3.connect(eval_cache_path(demo_store)) as db:
        cached = db.execute("SELECT count(*) FROM results").fetchone()[0]
    assert cached == 12  # three commits of four before the kill at the 14th result
    assert demo_store.catalog.query("SELECT count(*) AS n FROM eval_runs")[0]["n"] == 0
    resumed = run_eval(demo_store, "synthetic-teacher", "pool-demo", backend="synthetic", k=4)
    total = demo_store.open("pool-demo").info.rows * 4
    assert len(count_generated) == total - cached
    assert resumed.rows()["response"].null_count() == 0


def test_a_registered_model_gets_an_edge_and_a_decontamination_warning(demo_store, capsys, tmp_path):
    sft = demo_store.open("sft-demo").info
    model_id = demo_store.register_artifact(name="sft-demo-model", kind="model", path=tmp_path / "model",
                                            edges=[(sft.id, "trained_on")])
    result = run_eval(demo_store, "sft-demo-model", "pool-demo", backend="synthetic",
                      model_name="synthetic-teacher", limit=2)
    assert result.model_id == model_id and result.model == "sft-demo-model@v1"
    edges = {e["kind"]: e["src_id"] for e in demo_store.catalog.query(
        "SELECT src_id, kind FROM edges WHERE dst_id = ?", [result.artifact_id])}
    assert edges == {"evaluated_on": demo_store.open("pool-demo").info.id, "evaluated": model_id}
    err = capsys.readouterr().err
    assert "warning:" in err and "sft-demo-model@v1" in err and "pool-demo@v1" in err
    assert result.warnings and result.warnings[0].startswith("warning:")


def test_bad_input_is_a_clear_error(demo_store):
    with pytest.raises(EvalError, match="unknown style 'mmlu'"):
        run_eval(demo_store, "synthetic-teacher", "pool-demo", backend="synthetic", style="mmlu")
    with pytest.raises(EvalError, match="no 'caption' column"):
        run_eval(demo_store, "synthetic-teacher", "pool-demo", backend="synthetic", mode="text")
    with pytest.raises(EvalError, match="k must be at least 1"):
        run_eval(demo_store, "synthetic-teacher", "pool-demo", backend="synthetic", k=0)


def test_no_warning_when_the_training_data_was_decontaminated_against_the_eval(demo_store, capsys, tmp_path):
    pool, sft = demo_store.open("pool-demo").info, demo_store.open("sft-demo").info
    demo_store.add_edge(pool.id, sft.id, "decontaminated_against")  # what the decontaminate stage records
    demo_store.register_artifact(name="clean-model", kind="model", path=tmp_path / "model",
                                 edges=[(sft.id, "trained_on")])
    result = run_eval(demo_store, "clean-model", "pool-demo", backend="synthetic", model_name="synthetic-teacher",
                      limit=2)
    assert result.warnings == [] and "warning" not in capsys.readouterr().err


def test_openai_backend_gets_images_and_the_papers_greedy_preset(demo_store):
    from tests.generate.chat_server import ChatServer

    server = ChatServer(answer=lambda body, index: "<think>2</think><answer>2</answer>").start()
    try:
        result = run_eval(demo_store, "served-vlm", "pool-demo", backend="openai", base_url=server.url, limit=3)
    finally:
        server.stop()
    assert result.n == 3 and len(server.log) == 3
    body = server.log[0].body
    assert (body["model"], body["temperature"], body["top_p"], body["seed"]) == ("served-vlm", 0.01, 0.001, 0)
    assert body["max_tokens"] == 2048 or body.get("max_completion_tokens") == 2048
    parts = body["messages"][0]["content"]
    assert parts[0]["type"] == "image_url" and parts[0]["image_url"]["url"].startswith("data:image/png;base64,")
    assert "<answer>" in parts[-1]["text"]  # the training prompt's think/answer instruction
    assert set(result.rows()["extracted"]) == {"2"}


def test_a_problem_listed_twice_counts_once(store):
    from tests.conftest import pool_frame

    frame = pool_frame(store, 3)
    with store.writer("pool-repeats", "pool", config={"repeats": True}) as writer:
        writer.write(pl.concat([frame, frame.head(1)]))
    result = run_eval(store, "synthetic-teacher", "pool-repeats", backend="synthetic", k=2)
    assert result.n == 3 and result.rows().height == 6


def test_per_category_accuracy_with_intervals(store):
    from tests.conftest import pool_frame

    frame = pool_frame(store, 6).with_columns(
        metadata=pl.Series([json.dumps({"category": "math-targeted-vqa" if i < 4 else "general-vqa"})
                            for i in range(6)]))
    with store.writer("pool-categories", "pool", config={"categories": True}) as writer:
        writer.write(frame)
    result = run_eval(store, "synthetic-teacher", "pool-categories", backend="synthetic")
    assert {name: group.n for name, group in result.by_category.items()} == {"general-vqa": 2,
                                                                             "math-targeted-vqa": 4}
    rows = result.rows()
    for name, group in result.by_category.items():
        expected = rows.filter(pl.col("category") == name)["correct"].mean()
        assert group.accuracy == pytest.approx(expected, abs=1e-6)
        assert group.ci95 == pytest.approx(wilson(group.accuracy * group.n, group.n), abs=1e-6)


def test_no_warning_for_a_base_model_without_training_data(demo_store, capsys, tmp_path):
    """An untrained base model has no training data that could overlap the eval split: nothing to warn."""
    demo_store.register_artifact(name="base-model", kind="model", path=tmp_path / "base", metadata={"role": "base"})
    result = run_eval(demo_store, "base-model", "pool-demo", backend="synthetic", model_name="synthetic-teacher",
                      limit=2)
    assert result.warnings == [] and "warning" not in capsys.readouterr().err
    # the same model once trained on undecontaminated data does warn
    sft = demo_store.open("sft-demo").info
    demo_store.register_artifact(name="base-model", kind="model", path=tmp_path / "trained",
                                 edges=[(sft.id, "trained_on")])
    trained = run_eval(demo_store, "base-model@v2", "pool-demo", backend="synthetic",
                       model_name="synthetic-teacher", limit=2)
    assert trained.warnings and "not decontaminated" in trained.warnings[0]
