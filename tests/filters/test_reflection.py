"""reflection: truncate at the first reflection after the answer is reached, re-attach the answer."""

from __future__ import annotations

import polars as pl

from curation.filters.reflection import Cutter
from curation.verify.extract import extract_answer
from curation.verify.trace_format import THINK_CLOSE, check
from tests.conftest import rollouts_frame
from tests.filters.helpers import run_stage
from tests.verify.test_trace_format import teacher_traces

CUTTER = Cutter(["Wait,", "But wait,", "But the question"], case_sensitive=False)


def test_truncates_after_the_answer_and_keeps_the_answer_tag():
    text = "<think>There are 4 bars. Wait, let me recount them: 1, 2, 3, 4.</think> So 4. <answer>4</answer>"
    new, count, offset, consistent = CUTTER.cut(text)
    assert new == "<think>There are 4 bars.\n</think> So 4. <answer>4</answer>"
    assert (count, consistent) == (1, True) and text[offset:].startswith("Wait,")


def test_many_phrasings_are_markers():
    for marker in ["Wait,", "wait,", "But wait,", "BUT WAIT,", "But the question", "\nWait,"]:
        text = f"<think>The area is 12.{marker} is it 12? Yes.</think><answer>12</answer>"
        new, count, _, consistent = CUTTER.cut(text)
        assert count == 1 and consistent and new.startswith("<think>The area is 12.\n</think>"), marker


def test_a_wait_that_is_not_a_reflection_is_left_alone():
    quoted = '<think>The problem asks: "Wait, how many apples remain?" There are 4.</think><answer>4</answer>'
    inside_word = "<think>Await, no: Kuwait, has 4.</think><answer>4</answer>"
    for text in (quoted, inside_word):
        assert CUTTER.cut(text) == (text, 0, None, True)


def test_reflection_before_the_answer_is_kept():
    text = "<think>It looks like 5. Wait, one bar is hidden, so 6.</think><answer>6</answer>"
    assert CUTTER.cut(text) == (text, 1, None, True)


def test_non_ascii_offsets_are_characters():
    text = "<think>Площадь é 4 m². Wait, ещё раз: 4.</think><answer>4</answer>"
    new, _, offset, _ = CUTTER.cut(text)
    assert text[offset:].startswith("Wait,") and new.endswith("<answer>4</answer>")


def test_boxed_answer_without_tags_is_reattached():
    new, count, _, consistent = CUTTER.cut("The total is 7. But wait, maybe 8? No. \\boxed{7}")
    assert count == 1 and consistent and new == "The total is 7.\n<answer>7</answer>"


def test_stage_drops_inconsistent_and_keeps_scores(store):
    traces = ["<think>So 4. Wait, check: 4.</think><answer>4</answer>",
              "<think>Wait, the figure is unclear. Seems 3.</think><answer>4</answer>",
              "<think>Plain 4.</think><answer>4</answer>"]
    kept, rejected = run_stage("reflection", rollouts_frame(traces), store)
    assert kept["sample_index"].to_list() == [0, 2] and rejected["_reason"].to_list() == ["reflection_inconsistent"]
    assert kept["reflection_count"].to_list() == [1, 0] and kept["response"][0] == "<think>So 4.\n</think><answer>4</answer>"
    kept, rejected = run_stage("reflection", rollouts_frame(traces), store, mode="drop")
    assert kept["sample_index"].to_list() == [2] and set(rejected["_reason"]) == {"reflection"}


def test_custom_markers_and_case(store):
    frame = rollouts_frame(["<think>So 4. Hmm, maybe 5.</think><answer>4</answer>",
                            "<think>So 4. wait, 4.</think><answer>4</answer>"])
    kept, _ = run_stage("reflection", frame, store, markers=["Hmm,", "Wait,"], case_sensitive=True)
    assert kept.sort("sample_index")["reflection_count"].to_list() == [1, 0]
    assert pl.Series(kept["response"]).str.contains("Hmm").sum() == 0


def test_a_cut_keeps_every_well_formed_teacher_trace_well_formed_with_its_answer():
    """The docstring's promise: only the reasoning is cut; ``</think>`` and ``<answer>`` follow unchanged."""
    cut_any = 0
    for text, _ in teacher_traces():
        if not check(text)[0]:
            continue
        new, count, offset, consistent = CUTTER.cut(text)
        cut_any += offset is not None
        assert check(new) == (True, None), (text, new)
        assert extract_answer(new)[0] == extract_answer(text)[0]
        if offset is not None:
            assert new[new.index(THINK_CLOSE):] == text[text.index(THINK_CLOSE):]
    assert cut_any > 0  # the teacher writes reflections after the answer


def test_an_unclosed_think_block_stays_unclosed_for_the_format_filter():
    new, count, _, consistent = CUTTER.cut("<think>So 4. Wait, check: 4.<answer>4</answer>")
    assert (new, count, consistent) == ("<think>So 4.<answer>4</answer>", 1, True)
    assert check(new) == (False, "think_block_count")
