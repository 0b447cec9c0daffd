"""Every filter keeps or rejects each row exactly once, on arbitrary traces; and the whole chain in
the pipeline: kept + rejected = input, with a funnel entry per stage."""

from __future__ import annotations

import polars as pl
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curation.pipeline import run_recipe
from curation.recipe import load_recipe
from tests.conftest import rollouts_frame
from tests.filters.helpers import run_stage

PIECES = ["<think>", "</think>", "<answer>", "</answer>", "Wait,", "But wait,", " 4", " 5", "\\boxed{4}", "\n",
          " the answer is 4.", '"Wait, ', "(B)", "é", "<|im_end|>", " step"]
trace = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=5)), max_size=25).map("".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(trace, min_size=1, max_size=8))
def test_filters_never_lose_a_row(store, responses):
    frame = rollouts_frame(responses)
    for stage, params in [("length", {"max_words": 5}), ("reflection", {}), ("reflection", {"mode": "drop"}),
                          ("correctness", {}), ("format", {}), ("dedup", {"columns": ["problem", "response"]})]:
        kept, rejected = run_stage(stage, frame, store, **params)
        assert kept.height + rejected.height == frame.height
        assert rejected["_reason"].null_count() == 0 and kept["_reason"].null_count() == kept.height


def test_full_chain_through_the_pipeline(store, tmp_path):
    responses = ["<think>There are 4. Wait, recount: 4.</think>\n<answer>4</answer>",
                 "<think>" + "step " * 600 + "4</think><answer>4</answer>",
                 "<think>It is 5.</think><answer>5</answer>", "<think>hmm</think> no idea",
                 "<think>4</think><answer>4</answer> trailing", "<think>Short: 4.</think><answer>4.0</answer>"]
    with store.writer("rollouts-chain", "rollouts", config={"n": 6}) as writer:
        writer.write(rollouts_frame(responses))
    stages = [{"type": "length", "max_words": 500}, {"type": "reflection"}, {"type": "correctness"},
              {"type": "format"}, {"type": "dedup", "columns": ["problem", "image_ids", "response"]},
              {"type": "select", "strategy": "shortest_correct"}]
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump({"name": "chain", "input": "rollouts-chain", "output": "sft-chain",
                                    "stages": stages, "batch_rows": 2}))
    snap = store.open(run_recipe(load_recipe(path), store).final.ref)
    kept, rejected = snap.read(), snap.rejections().collect()
    assert kept.height + rejected.height == len(responses) and kept.height == 1
    assert kept["response"][0] == "<think>Short: 4.</think><answer>4.0</answer>"
    reasons = dict(rejected.group_by("reason").len().iter_rows())
    assert reasons == {"too_long": 1, "wrong_answer": 1, "unparseable_answer": 1, "bad_format": 1, "not_selected": 1}
    assert {"word_count", "reflection_count", "verdict", "format_issue", "dedup_key"} <= set(kept.columns)
    assert snap.info.kind == "sft" and kept.schema["reflection_offset"] == pl.Int32


def test_rejections_command(store, tmp_path):
    import json

    from typer.testing import CliRunner

    from curation.cli import app

    with store.writer("rollouts-cli", "rollouts", config={"n": 3}) as writer:
        writer.write(rollouts_frame(["<think>4</think><answer>5</answer>", "<think>4</think><answer>4</answer>",
                                     "<think>4</think> none"]))
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump({"name": "c", "input": "rollouts-cli", "output": "graded",
                                    "stages": [{"type": "correctness"}]}))
    run_recipe(load_recipe(path), store)
    runner = CliRunner()
    result = runner.invoke(app, ["rejections", "graded", "--reason", "wrong_answer", "--json", "--store", str(store.root)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["reason"] for r in rows] == ["wrong_answer"] and "extracted 5 vs gold 4" in rows[0]["detail"]
    assert rows[0]["row"]["response"].endswith("<answer>5</answer>")
    result = runner.invoke(app, ["rejections", "graded", "--limit", "5", "--store", str(store.root)],
                           env={"COLUMNS": "250"})
    assert result.exit_code == 0 and "unparseable_answer" in result.output
    result = runner.invoke(app, ["rejections", "graded", "--reason", "nope", "--store", str(store.root)])
    assert result.exit_code == 1 and "wrong_answer=1" in result.output
