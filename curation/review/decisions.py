"""One decision per reviewed row from its reviewers' submitted responses (shared by apply and stats).

A row is rejected when at least as many reviewers rejected it as accepted it (a tie rejects:
doubtful rows stay out of training data). The corrected answer is the one most reviewers
wrote (ties broken alphabetically, so the result never depends on pull order).
"""

from __future__ import annotations

import polars as pl

from curation.review.dataset import ACCEPT, REJECT


def final_decisions(responses: pl.DataFrame) -> pl.DataFrame:
    """Columns: row_id, reviewers, accepts, rejects, decision (accept|reject|null), corrected_answer, notes."""
    decided = responses.filter(pl.col("decision").is_in([ACCEPT, REJECT]))
    votes = decided.group_by("row_id").agg(
        pl.len().alias("reviewers"),
        (pl.col("decision") == ACCEPT).sum().alias("accepts"),
        (pl.col("decision") == REJECT).sum().alias("rejects"),
        pl.col("note").drop_nulls().sort().str.join(" | ").alias("notes"),
    ).with_columns(
        pl.when(pl.col("rejects") >= pl.col("accepts")).then(pl.lit(REJECT)).otherwise(pl.lit(ACCEPT))
        .alias("decision"))
    corrections = (
        responses.filter(pl.col("corrected_answer").is_not_null())
        .group_by("row_id", "corrected_answer").len()
        .sort(["row_id", "len", "corrected_answer"], descending=[False, True, False])
        .group_by("row_id", maintain_order=True).first()
        .select("row_id", "corrected_answer")
    )
    return votes.join(corrections, on="row_id", how="full", coalesce=True).sort("row_id")
