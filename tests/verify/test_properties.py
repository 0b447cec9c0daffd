"""Property tests: grade never raises and returns a known status; both paths agree on any text."""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curation.verify import STATUSES, grade
from curation.verify.extract import extract_answer, extract_series
from curation.verify.fast import fast_verdicts
from curation.verify.normalize import normalize_answer, normalize_expr
from curation.verify.rules import Pending, decide

# Text made of the pieces answers are made of, so the interesting branches are reached often.
PIECES = ["<answer>", "</answer>", "<think>", "</think>", "\\boxed{", "{", "}", "\\frac", "\\text{", "$", "%",
          "the answer is ", "Answer: ", "(B)", "B.", "yes", "No", "1,234", "0.5", "-3", "cm", "^\\circ", "\n",
          "  ", ".", "x = ", "\\sqrt{2}", "\u2212", "\u00a0", "\u200b", "é", "٣",
          # the end of an answer, closing sentences, separators, currency, mixed numbers and relations
          "<|im_end|>", "<|im_start|>user\n", "I hope it is correct.", "Final Answer: ", "So the value is ",
          " which is ", "Therefore, there are ", " days ago.", " = ", "2 500", "\u2009", "{,}", ",\\!", "\\$",
          "\u20ac", "3 1/2", "-2 1/3", "3\\frac{1}{2}", "x \\in (0,5]", "0 < x \\le 5", "y = 2 - \\frac{x}{2}",
          "\\text{ cm}", " km/h", " m", "pct", "percentage", "0.25", "12."]
answer_text = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), max_size=12).map("".join)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(answer_text)
def test_normalization_is_the_same_in_python_and_polars(text):
    assert normalize_answer(text) == pl.select(normalize_expr(pl.lit(text, dtype=pl.Utf8))).item()


@SETTINGS
@given(answer_text)
def test_extraction_is_the_same_in_python_and_polars(text):
    row = extract_series(pl.Series([text], dtype=pl.Utf8)).row(0)
    assert row == extract_answer(text)


@SETTINGS
@given(answer_text, answer_text, st.one_of(st.none(), st.lists(answer_text, max_size=5)))
def test_fast_path_agrees_with_the_scalar_rules(response, gold, choices):
    row = fast_verdicts(pl.Series([response]), pl.Series([gold]),
                        pl.Series([choices], dtype=pl.List(pl.Utf8))).row(0, named=True)
    extracted, _ = extract_answer(response)
    outcome = decide(gold, extracted, choices)
    if isinstance(outcome, Pending):
        assert row["verdict"] is None and (row["mv_gold"], row["mv_pred"]) == (outcome.gold, outcome.pred)
    else:
        assert row["verdict"] == outcome


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300), st.text(max_size=30), st.one_of(st.none(), st.lists(st.text(max_size=8), max_size=5)))
def test_grade_never_raises_and_returns_a_known_status(response, gold, choices):
    verdict = grade(response, gold, choices=choices, timeout_s=1.0)
    assert verdict.status in STATUSES
    assert (verdict.extracted is None) == (verdict.status == "unparseable" and verdict.extracted is None)


def test_adversarial_inputs_are_bounded_and_never_raise():
    nasty = ["9" * 10_000, "{" * 5000 + "}" * 5000, "\\frac{" * 400, "10^{10^{10}}", "2**2**2**40", "99999!",
             "(" * 3000, "<answer>" * 4000, "\\boxed{" * 4000, "x^" * 800 + "2"]
    for text in nasty:
        for response in (f"<answer>{text}</answer>", f"\\boxed{{{text}}}", text):
            assert grade(response, "5", timeout_s=1.0).status in STATUSES
            assert grade("<answer>5</answer>", text, timeout_s=1.0).status in STATUSES
