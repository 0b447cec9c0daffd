"""Review rows, rendering, decisions and connection errors: no server needed."""

from __future__ import annotations

import polars as pl
import pytest

from curation.review.connection import ReviewError, connect
from curation.review.dataset import dataset_name, render_response
from curation.review.decisions import final_decisions
from curation.review.frame import kept_rows
from curation.store import Store
from tests.conftest import rollouts_frame
from tests.filters.helpers import run_stage


def test_scores_missing_from_the_snapshot_are_computed(tmp_path):
    store = Store(tmp_path / "store")
    responses = ["<think>two and two</think> <answer>4</answer>", "<think>hmm</think> <answer>5</answer>", "no idea"]
    with store.writer("plain-rollouts", "rollouts", config={"t": 1}) as writer:
        writer.write(rollouts_frame(responses, answer="4"))
    rows = kept_rows(store.open("plain-rollouts"))
    assert rows["verdict"].to_list() == ["correct", "wrong", "unparseable"]
    assert rows["extracted_answer"].to_list() == ["4", "5", None]
    assert rows["word_count"].to_list() == [4, 2, 2]  # whitespace-separated, as the paper counts
    assert set(rows["filter_stage"]) == {"kept"}
    assert dataset_name(store.open("plain-rollouts").info) == "plain-rollouts-v1"


def test_think_block_is_collapsed_or_shown():
    response = "<think>a b c</think> So <answer>3</answer>"
    folded = render_response(response)
    assert folded.startswith("<details><summary>Reasoning (3 words)</summary>")
    assert folded.endswith("So <answer>3</answer>")
    assert render_response(response, show_think=True).startswith("<details open>")
    assert render_response(None) == ""


def test_the_reasoning_reviewers_see_is_what_the_length_filter_counts(tmp_path):
    """One definition of a trace's reasoning (trace_format.THINK_PART): closed, unclosed, absent."""
    responses = ["<think>a b c</think> <answer>3</answer>", "<think>one two\nthree four", "<think>x\n",
                 "no tags at all here"]
    kept, _ = run_stage("length", rollouts_frame(responses), Store(tmp_path / "store"), count="think")
    counts = kept.sort("sample_index")["word_count"].to_list()
    assert counts == [3, 4, 1, 5]  # no think block: the whole response counts
    shown = [render_response(r) for r in responses[:3]]
    assert [int(text.split("Reasoning (")[1].split(" ")[0]) for text in shown] == counts[:3]


def test_ties_reject_and_the_most_common_correction_wins():
    responses = pl.DataFrame({
        "row_id": ["a", "a", "b", "b", "b"],
        "reviewer": ["u1", "u2", "u1", "u2", "u3"],
        "decision": ["accept", "reject", "accept", "accept", "reject"],
        "corrected_answer": [None, None, "7", "6", "7"],
        "note": [None, "unclear", None, None, None],
    })
    decided = {row["row_id"]: row for row in final_decisions(responses).iter_rows(named=True)}
    assert decided["a"]["decision"] == "reject" and decided["a"]["notes"] == "unclear"
    assert (decided["b"]["decision"], decided["b"]["corrected_answer"]) == ("accept", "7")
    assert (decided["b"]["accepts"], decided["b"]["rejects"]) == (2, 1)


@pytest.mark.parametrize(("unset", "message"), [("ARGILLA_API_URL", "ARGILLA_API_URL is not set"),
                                                ("ARGILLA_API_KEY", "ARGILLA_API_KEY is not set")])
def test_missing_connection_settings_say_what_to_export(monkeypatch, unset, message):
    monkeypatch.setenv("ARGILLA_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("ARGILLA_API_KEY", "k")
    monkeypatch.delenv(unset)
    with pytest.raises(ReviewError, match=message):
        connect()
