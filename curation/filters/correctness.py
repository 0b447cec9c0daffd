"""correctness: grade every response against the gold answer and keep the correct ones.

Scores kept in the snapshot: ``extracted`` (the final answer as written), ``extract_method``
(tag/boxed/phrase/sentence), ``verdict`` (correct/wrong/unparseable) and ``verdict_by`` (rules,
math_verify, timeout, error). Wrong and unparseable rows are dropped with their own reasons; a row
the grader failed on (verdict "unparseable" by "error") is dropped as ``grader_error``, so the funnel
tells a grader bug apart from a model that gave no answer.
"""

from __future__ import annotations

from typing import Literal

import polars as pl
from pydantic import Field

from curation.rows import decide
from curation.stages.base import Stage, StageParams
from curation.stages.registry import register_stage
from curation.verify.batch import BatchGrader
from curation.verify.mathverify import PER_CALL_SECONDS

REASONS = {"wrong": "wrong_answer", "unparseable": "unparseable_answer"}
GRADER_ERROR = "grader_error"
WARM_POOL_ROWS = 5_000  # smaller inputs rarely need the math-verify pool


class CorrectnessParams(StageParams):
    keep: list[Literal["correct", "wrong", "unparseable"]] = Field(
        default_factory=lambda: ["correct"], description="verdicts kept; the others are dropped with a reason")
    response_column: str = Field("response", description="column holding the model response")
    answer_column: str = Field("answer", description="column holding the gold answer")
    choices_column: str = Field("choices", description="column of multiple-choice options (A = first)")
    timeout_s: float = Field(PER_CALL_SECONDS, gt=0, description="bound on each math-verify call, in seconds")
    workers: int | None = Field(None, ge=1, description="math-verify processes (default: CPU count, at most 4)")


@register_stage
class CorrectnessFilter(Stage):
    type = "correctness"
    Params = CorrectnessParams
    description = "grade answers (fast rules, then math-verify) and drop wrong or unparseable ones"

    def __init__(self, params: StageParams, ctx) -> None:
        super().__init__(params, ctx)
        self._grader: BatchGrader | None = None

    @property
    def grader(self) -> BatchGrader:
        if self._grader is None:
            p: CorrectnessParams = self.params  # type: ignore[assignment]
            self._grader = BatchGrader(p.workers, p.timeout_s)
        return self._grader

    def prepare(self, expected_rows: int | None) -> None:
        """Called by the pipeline before the first batch. A large input will need math-verify: start
        its workers now, so they load it (in their own processes) while the earlier stages run."""
        if expected_rows is None or expected_rows >= WARM_POOL_ROWS:
            self.grader.pool.warm()

    def process_batch(self, batch: pl.DataFrame) -> pl.DataFrame:
        p: CorrectnessParams = self.params  # type: ignore[assignment]
        for column in (p.response_column, p.answer_column):
            if column not in batch.columns:
                raise ValueError(f"correctness: column {column!r} is missing (columns: {', '.join(batch.columns)}); "
                                 f"set response_column/answer_column in the recipe")
        choices = batch[p.choices_column] if p.choices_column in batch.columns else None
        graded = batch.with_columns(self.grader.grade(batch[p.response_column], batch[p.answer_column], choices))
        verdict = pl.col("verdict")
        reason = pl.when(pl.col("verdict_by") == "error").then(pl.lit(GRADER_ERROR)).otherwise(
            verdict.replace_strict(REASONS, default=pl.concat_str(pl.lit("dropped_"), verdict)))
        detail = pl.format("verdict {} ({}): extracted {} vs gold {}", verdict, pl.col("verdict_by"),
                           pl.col("extracted").str.slice(0, 80).fill_null("nothing"),
                           pl.col(p.answer_column).cast(pl.Utf8).str.slice(0, 80))
        return graded.with_columns(decide(verdict.is_in(list(p.keep)), reason, detail))

    def close(self) -> None:
        if self._grader is not None:
            self._grader.close()
            self._grader = None
