"""A failure inside the grader is never a "wrong" answer: it is "unparseable" decided by "error"."""

from __future__ import annotations

import importlib

import polars as pl

import curation.verify.batch as batch
import curation.verify.mathverify as mathverify
from curation.verify import BatchGrader, grade

grade_module = importlib.import_module("curation.verify.grade")  # the package exports a function of that name


def _boom(*args, **kwargs):
    raise RuntimeError("grader bug")


def test_an_error_in_the_rules_is_unparseable_by_error(monkeypatch):
    monkeypatch.setattr(grade_module, "decide", _boom)
    verdict = grade("<answer>5</answer>", "5")
    assert (verdict.status, verdict.decided_by) == ("unparseable", "error")
    assert verdict.extracted == "5"  # what was found is still reported


def test_an_error_inside_math_verify_is_unparseable_by_error(monkeypatch):
    monkeypatch.setattr(mathverify, "verify_pair", _boom)
    verdict = grade("<answer>x^2-1</answer>", "(x-1)(x+1)")  # not settled by the rules: math-verify runs
    assert (verdict.status, verdict.decided_by) == ("unparseable", "error")


def test_a_failing_math_verify_call_in_a_batch_costs_only_its_row(monkeypatch):
    def fail_on_one(gold: str, pred: str) -> bool:
        if pred == "x^2-1":
            raise RuntimeError("grader bug")
        return mathverify.verify_pair(gold, pred)

    monkeypatch.setattr(batch, "verify_pair", fail_on_one)
    with BatchGrader(workers=1) as grader:
        out = grader.grade(pl.Series(["<answer>x^2-1</answer>", "<answer>x^2+1</answer>", "<answer>7</answer>"]),
                           pl.Series(["(x-1)(x+1)", "(x-1)(x+1)", "6"]))
    assert out.select("verdict", "verdict_by").rows() == [
        ("unparseable", "error"), ("wrong", "math_verify"), ("wrong", "rules")]


def test_a_failing_fast_path_falls_back_to_grading_each_row(monkeypatch):
    monkeypatch.setattr(batch, "fast_verdicts", _boom)
    with BatchGrader(workers=1) as grader:
        out = grader.grade(pl.Series(["<answer>4</answer>", "So the total is 5.", "no answer"]),
                           pl.Series(["4", "4", "4"]))
    assert out.rows() == [("4", "tag", "correct", "rules"), ("5", "sentence", "wrong", "rules"),
                          (None, None, "unparseable", "rules")]
