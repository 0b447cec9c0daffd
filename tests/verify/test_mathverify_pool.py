"""The math-verify pool with real forked workers: a call past its bound is a timeout, a worker that
dies is a grader error (never a "wrong" answer), and the pool recovers for the next batch."""

from __future__ import annotations

import os
import time

import curation.verify.mathverify as mathverify
from curation.verify.mathverify import ERROR, VerifyPool


def _misbehaving(gold: str, pred: str) -> bool:
    if pred == "die":
        os._exit(3)  # the worker process dies mid-call
    if pred == "hang":
        time.sleep(30)  # pure Python: the worker's own interval timer stops it
    return gold == pred


def test_timeouts_and_dead_workers_are_told_apart(monkeypatch):
    monkeypatch.setattr(mathverify, "verify_pair", _misbehaving)  # the forked workers inherit it
    pool = VerifyPool(workers=1, seconds=0.5)
    try:
        assert pool.verify([("1", "1"), ("1", "hang"), ("2", "3")]) == [True, None, False]
        assert pool.verify([("1", "1"), ("1", "die")]) == [ERROR, ERROR]  # the chunk's worker died
        assert pool.verify([("4", "4")]) == [True]  # a fresh pool took over
    finally:
        pool.close()


def test_an_in_process_call_past_its_bound_is_a_timeout(monkeypatch):
    from curation.verify import grade

    monkeypatch.setattr(mathverify, "verify_pair", _misbehaving)
    verdict = grade("<answer>hang</answer>", "x^2", timeout_s=0.5)  # the timer stops the 30 s sleep
    assert (verdict.status, verdict.decided_by) == ("wrong", "timeout")


def test_a_dead_worker_in_a_batch_gives_unparseable_rows_by_error(monkeypatch):
    import polars as pl

    from curation.verify import BatchGrader

    monkeypatch.setattr(mathverify, "verify_pair", _misbehaving)
    preds = [f"x^{k}" for k in range(2, 22)] + ["die"]  # more pairs than run in-process: the pool grades them
    with BatchGrader(workers=1, timeout_s=1.0) as grader:
        out = grader.grade(pl.Series([f"<answer>{p}</answer>" for p in preds]), pl.Series(["x^2"] * len(preds)))
    rows = dict(zip(preds, out.select("verdict", "verdict_by").rows(), strict=True))
    assert rows["die"] == ("unparseable", "error")
    assert rows["x^2"] == ("correct", "rules") and all(by != "timeout" for _, by in rows.values())
    assert all(verdict == "unparseable" for verdict, by in rows.values() if by == "error")
