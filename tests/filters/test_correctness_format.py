"""correctness and format filters on realistic traces."""

from __future__ import annotations

import polars as pl

from tests.conftest import rollouts_frame
from tests.filters.helpers import run_stage

TRACES = [
    ("<think>The bar for 2019 reads 4.</think> The value is 4. <answer>4</answer>", "correct",
     "text_between_think_and_answer"),
    ("<think>Half of 8 is 4.</think><answer>\\boxed{4.0}</answer>", "correct", None),
    ("<think>Counting gives 5.</think> So 5. <answer>5</answer>", "wrong", "text_between_think_and_answer"),
    ("<think>I count the squares.</think> I am not sure.", "unparseable", "missing_answer_tag"),
    ("<think>4</think><answer></answer>", "unparseable", "empty_answer"),
    ("<think>a</think><answer>3</answer> <answer>4</answer>", "correct", "several_answer_tags"),
    ("<think>4</think><answer>4</answer> extra words", "correct", "text_after_answer"),
    ("<think>4</think><answer>4</answer><|im_end|>", "correct", "special_token"),
    ("<think>x</think><think>4</think><answer>4</answer>", "correct", "think_block_count"),
    ("So the answer is 4.", "correct", "think_block_count"),
    ("<think>4 [INST]</think><answer>4</answer>", "correct", "special_token"),
    ("<think> \n</think><answer>4</answer>", "correct", "empty_think"),
    ("\n<think>\nTwo and two.\n</think>\n\n<answer> 4 </answer>\n", "correct", None),
    ("<answer>4</answer><think>4</think>", "correct", "think_not_first"),
    ("<think>4 <answer>4</answer></think>", "correct", "answer_inside_think"),
]


def test_correctness_reasons_and_scores(store):
    frame = rollouts_frame([t for t, _, _ in TRACES])
    kept, rejected = run_stage("correctness", frame, store)
    expected = [v for _, v, _ in TRACES]
    got = pl.concat([kept, rejected]).sort("sample_index")
    assert got["verdict"].to_list() == expected
    assert set(rejected["_reason"]) == {"wrong_answer", "unparseable_answer"}
    assert (kept["verdict"] == "correct").all() and kept.height == expected.count("correct")
    assert "extracted 5 vs gold 4" in rejected.filter(pl.col("verdict") == "wrong")["_detail"][0]


def test_correctness_maps_option_letters(store):
    frame = rollouts_frame(["<think>b</think><answer>(B)</answer>", "<think>a</think><answer>12</answer>",
                            "<think>c</think><answer>C</answer>"], answer="B").with_columns(
        choices=pl.lit(["10", "12", "14"], dtype=pl.List(pl.Utf8)))
    kept, rejected = run_stage("correctness", frame, store)
    assert kept["sample_index"].to_list() == [0, 1] and rejected["sample_index"].to_list() == [2]


def test_format_issue_per_trace(store):
    frame = rollouts_frame([t for t, _, _ in TRACES])
    kept, rejected = run_stage("format", frame, store)
    issues = pl.concat([kept, rejected]).sort("sample_index")["format_issue"].to_list()
    assert issues == [issue for _, _, issue in TRACES]
    assert (rejected["_reason"] == "bad_format").all() and rejected["_detail"].to_list() == rejected["format_issue"].to_list()


def test_a_grader_failure_is_dropped_as_grader_error_not_as_a_wrong_answer(store, monkeypatch):
    import curation.verify.batch as batch

    def fail(gold: str, pred: str) -> bool:
        raise RuntimeError("grader bug")

    monkeypatch.setattr(batch, "verify_pair", fail)  # only pairs the rules leave to math-verify reach it
    frame = rollouts_frame(["<think>x</think><answer>x^2-1</answer>", "<think>x</think><answer>7</answer>",
                            "<think>x</think> So the total is 2 500 apples."], answer="2500")
    kept, rejected = run_stage("correctness", frame, store)
    reasons = dict(zip(rejected["sample_index"].to_list(), rejected["_reason"].to_list(), strict=True))
    assert reasons == {0: "grader_error", 1: "wrong_answer"}
    assert kept["sample_index"].to_list() == [2] and kept["extract_method"].to_list() == ["sentence"]
    assert rejected.filter(pl.col("sample_index") == 0)["verdict"].item() == "unparseable"
    assert "(error)" in rejected.filter(pl.col("sample_index") == 0)["_detail"].item()
