"""Grade many responses at once: the vectorized fast path, then math-verify on unique leftovers.

Only pairs the fast path leaves undecided reach math-verify, each unique (gold, prediction) pair
once, memoized across batches, in a process pool with a per-call bound.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import polars as pl

from curation.verify.fast import DecisionMemo, fast_verdicts
from curation.verify.mathverify import ERROR, PER_CALL_SECONDS, Outcome, VerifyPool, bounded, verify_pair

# Below this many new pairs, grading in-process beats starting the pool.
IN_PROCESS_PAIRS = 16


def _by(answer: Outcome) -> str:
    return "timeout" if answer is None else "error" if answer == ERROR else "math_verify"


def _status(answer: Outcome) -> str:
    """A timeout reads as wrong (as in ``grade``); a failed call as unparseable, never as wrong."""
    if answer == ERROR:
        return "unparseable"
    return "correct" if answer is True else "wrong"


class BatchGrader:
    """Reusable grader for a stream of batches; call ``close()`` when done (or use ``with``)."""

    def __init__(self, workers: int | None = None, timeout_s: float = PER_CALL_SECONDS,
                 cache_size: int = 2_000_000) -> None:
        self.timeout_s = timeout_s
        self.pool = VerifyPool(workers, timeout_s)
        self.cache: dict[tuple[str, str], Outcome] = {}
        self.cache_size = cache_size
        self.math_verify_calls = 0
        self.decisions = DecisionMemo(min(cache_size, 200_000))  # joined against each batch: keep it small

    def _verify(self, pairs: Sequence[tuple[str, str]]) -> list[Outcome]:
        on_main = threading.current_thread() is threading.main_thread()
        if len(pairs) <= IN_PROCESS_PAIRS and on_main:
            return [bounded(verify_pair, self.timeout_s, gold, pred) for gold, pred in pairs]
        return self.pool.verify(pairs)

    def grade(self, responses: pl.Series, golds: pl.Series, choices: pl.Series | None = None) -> pl.DataFrame:
        """Columns ``extracted``, ``extract_method``, ``verdict``, ``verdict_by`` (rules/math_verify/timeout/error).

        If the vectorized path fails on a batch, each row is graded by ``grade`` instead, so one bad row
        costs only itself: its verdict is "unparseable" by "error", never "wrong".
        """
        try:
            return self._grade(responses, golds, choices)
        except Exception:  # noqa: BLE001 - fall back to the scalar grader, which never raises
            return self._grade_rows(responses, golds, choices)

    def _grade(self, responses: pl.Series, golds: pl.Series, choices: pl.Series | None) -> pl.DataFrame:
        fast = fast_verdicts(responses, golds, choices, self.decisions)
        pending = fast.filter(pl.col("verdict").is_null()).select("mv_gold", "mv_pred").unique()
        if pending.height == 0:
            return fast.select("extracted", "extract_method", "verdict", pl.lit("rules").alias("verdict_by"))
        pairs = list(zip(pending["mv_gold"].to_list(), pending["mv_pred"].to_list(), strict=True))
        new = [pair for pair in pairs if pair not in self.cache]
        if new:
            self.math_verify_calls += len(new)
            if len(self.cache) + len(new) > self.cache_size:
                self.cache.clear()
            self.cache.update(zip(new, self._verify(new), strict=True))
        answers = [self.cache.get(pair) for pair in pairs]
        judged = pending.with_columns(
            pl.Series("mv_verdict", [_status(a) for a in answers], dtype=pl.Utf8),
            pl.Series("mv_by", [_by(a) for a in answers], dtype=pl.Utf8),
        )
        out = fast.join(judged, on=["mv_gold", "mv_pred"], how="left", maintain_order="left", nulls_equal=False)
        return out.select(
            "extracted", "extract_method",
            pl.coalesce("verdict", "mv_verdict").alias("verdict"),
            pl.when(pl.col("verdict").is_null()).then(pl.col("mv_by")).otherwise(pl.lit("rules")).alias("verdict_by"),
        )

    def _grade_rows(self, responses: pl.Series, golds: pl.Series, choices: pl.Series | None) -> pl.DataFrame:
        from curation.verify.grade import grade

        options = choices.to_list() if choices is not None else [None] * len(responses)
        verdicts = [grade(r, g if g is not None else "", choices=c, timeout_s=self.timeout_s)
                    for r, g, c in zip(responses.to_list(), golds.cast(pl.Utf8).to_list(), options, strict=True)]
        return pl.DataFrame({
            "extracted": [v.extracted for v in verdicts], "extract_method": [v.method for v in verdicts],
            "verdict": [v.status for v in verdicts], "verdict_by": [v.decided_by for v in verdicts],
        }, schema={"extracted": pl.Utf8, "extract_method": pl.Utf8, "verdict": pl.Utf8, "verdict_by": pl.Utf8})

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> BatchGrader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def grade_frame(frame: pl.DataFrame, *, response: str = "response", gold: str = "answer",
                choices: str | None = "choices", grader: BatchGrader | None = None) -> pl.DataFrame:
    """``frame`` with the columns of ``BatchGrader.grade`` added (same verdicts as ``grade``)."""
    own = grader is None
    grader = grader or BatchGrader()
    try:
        column = frame[choices] if choices and choices in frame.columns else None
        return frame.with_columns(grader.grade(frame[response], frame[gold], column))
    finally:
        if own:
            grader.close()
