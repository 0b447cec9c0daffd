"""Benchmark-style scoring on hand-made cases: MathVista (options by letter, text or edit distance; integer
truncation, float precision, units, lists) and MathVision (option letters or the option's value)."""

from __future__ import annotations

import json

import polars as pl
import pytest

from training.eval.score import StyleError, score_frame, score_response

OPTIONS = ["larger than", "equal to", "smaller than"]


@pytest.mark.parametrize(("response", "status", "prediction"), [
    ("<answer>(B) equal to</answer>", "correct", "equal to"),
    ("<answer>B</answer>", "correct", "equal to"),
    ("The answer is: b.", "correct", "equal to"),
    ("<answer>equal</answer>", "correct", "equal to"),  # nearest option by edit distance
    ("<answer>smaller</answer>", "wrong", "smaller than"),
    ("<answer>(C)</answer>", "wrong", "smaller than"),
    ("no final answer here", "unparseable", None),
])
def test_mathvista_multiple_choice(response, status, prediction):
    score = score_response(response, "equal to", choices=OPTIONS, style="mathvista")
    assert (score.status, score.prediction) == (status, prediction)


@pytest.mark.parametrize(("response", "gold", "fields", "status", "prediction"), [
    ("<answer>3.7</answer>", "3", {}, "correct", "3"),  # MathVista truncates: int(float("3.7"))
    ("<answer>4</answer>", "3", {}, "wrong", "4"),
    ("\\boxed{3 cm}", "3", {}, "correct", "3"),  # units dropped
    ("The answer is 1,000.", "1000", {}, "correct", "1000"),
    ("<answer>25%</answer>", "25", {}, "correct", "25"),
    ("<answer>1.54</answer>", "1.5", {"precision": 1}, "correct", "1.5"),
    ("<answer>1.56</answer>", "1.5", {"precision": 1}, "wrong", "1.6"),
    ("<answer>0.333</answer>", "0.33", {}, "correct", "0.33"),  # precision inferred from the gold
    ("<answer>1/3</answer>", "0.33", {"precision": 2.0}, "correct", "0.33"),
    ("<answer>$12.50</answer>", "12.5", {"answer_type": "float", "precision": 1}, "correct", "12.5"),
    ("<answer>[1,2,3]</answer>", "[1, 2, 3]", {}, "correct", "[1,2,3]"),
    ("<answer>seven</answer>", "3", {}, "wrong", None),
])
def test_mathvista_free_form(response, gold, fields, status, prediction):
    score = score_response(response, gold, style="mathvista", fields=fields)
    assert (score.status, score.prediction) == (status, prediction)


def test_mathvista_differs_from_the_default_grader_where_the_benchmark_does():
    assert score_response("<answer>3.7</answer>", "3").status == "wrong"
    assert score_response("<answer>1.54</answer>", "1.5").status == "wrong"


@pytest.mark.parametrize(("response", "status", "prediction"), [
    ("<answer>B</answer>", "correct", "B"),
    ("<answer>(B)</answer>", "correct", "B"),
    ("<answer>b.</answer>", "correct", "B"),
    ("<answer>B: 4</answer>", "correct", "B"),
    ("<answer>4</answer>", "correct", "B"),  # the gold option's value
    ("<answer>\\frac{8}{2}</answer>", "correct", "B"),  # equal to it mathematically
    ("<answer>C</answer>", "wrong", "C"),
    ("<answer>F</answer>", "wrong", "F"),  # no option F
    ("<answer>6</answer>", "wrong", "6"),
])
def test_mathvision_option_letters(response, status, prediction):
    score = score_response(response, "B", choices=["2", "4", "6", "8", "10"], style="mathvision")
    assert (score.status, score.prediction) == (status, prediction)


def test_mathvision_free_form_is_math_equality():
    assert score_response("<answer>0.5</answer>", "\\frac{1}{2}", style="mathvision").correct
    assert score_response("<answer>1/3</answer>", "\\frac{1}{2}", style="mathvision").status == "wrong"


def test_style_comes_from_the_row_unless_overridden():
    metadata = json.dumps({"style": "mathvista", "question_type": "free_form", "answer_type": "integer",
                           "metadata": {"category": "math-targeted-vqa"}})  # MathVista nests category
    frame = pl.DataFrame({"id": ["a", "b"], "answer": ["3", "3"], "choices": [[], []],
                          "metadata": [metadata, "{}"], "response": ["<answer>3.7</answer>"] * 2},
                         schema_overrides={"choices": pl.List(pl.Utf8)})
    scored = score_frame(frame)
    assert scored["style"].to_list() == ["mathvista", "default"]
    assert scored["correct"].to_list() == [True, False]
    assert scored["category"].to_list() == ["math-targeted-vqa", None]
    assert score_frame(frame, "mathvista")["correct"].to_list() == [True, True]
    with pytest.raises(StyleError, match="row a"):
        score_frame(frame.with_columns(style=pl.lit("mmlu")))
