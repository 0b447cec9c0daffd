"""The row contract between stages, the pipeline and the store; depends on nothing in thinkset.

A stage returns its rows with the reserved columns ``_keep``, ``_reason`` and
``_detail``; the pipeline drops the reserved columns from kept rows and stores
dropped rows in the rejections layout below, the whole row kept as JSON so
nothing is lost.
"""

from __future__ import annotations

import polars as pl

KEEP, REASON, DETAIL = "_keep", "_reason", "_detail"
RESERVED_COLUMNS = (KEEP, REASON, DETAIL)

REJECTIONS_SCHEMA: dict[str, pl.DataType] = {
    "row_id": pl.Utf8(),
    "stage_index": pl.Int32(),
    "stage": pl.Utf8(),
    "reason": pl.Utf8(),
    "detail": pl.Utf8(),
    "row": pl.Utf8(),  # the whole dropped row as JSON, so nothing is lost
}


class StageFailed(RuntimeError):
    """A stage stopped the run on purpose (e.g. a failed check); the message says why and what to do."""


def decide(keep: pl.Expr, reason: str | pl.Expr, detail: pl.Expr | str = "") -> list[pl.Expr]:
    """The three reserved columns of a filter from a keep expression and a reason for the dropped rows."""
    reason_expr = pl.lit(reason) if isinstance(reason, str) else reason
    detail_expr = pl.lit(detail) if isinstance(detail, str) else detail
    kept = keep.fill_null(False)
    return [
        kept.alias(KEEP),
        pl.when(kept).then(pl.lit(None, dtype=pl.Utf8)).otherwise(reason_expr).alias(REASON),
        pl.when(kept).then(pl.lit(None, dtype=pl.Utf8)).otherwise(detail_expr.cast(pl.Utf8)).alias(DETAIL),
    ]


def rejection_frame(rejected: pl.DataFrame, stage_index: int, stage: str) -> pl.DataFrame:
    """Dropped rows in the rejections layout; the whole row is kept as JSON so nothing is lost."""
    payload = [c for c in rejected.columns if c not in RESERVED_COLUMNS]
    return rejected.select(
        (pl.col("id") if "id" in rejected.columns else pl.lit(None, dtype=pl.Utf8)).alias("row_id"),
        pl.lit(stage_index, dtype=pl.Int32).alias("stage_index"),
        pl.lit(stage).alias("stage"),
        pl.col(REASON).fill_null("dropped").alias("reason"),
        pl.col(DETAIL).fill_null("").alias("detail"),
        pl.struct(payload).struct.json_encode().alias("row"),
    )
