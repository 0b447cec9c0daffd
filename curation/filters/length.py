"""length: drop traces over ``max_words`` words (the paper: 500), counted as the paper does.

Words are runs of non-whitespace (``\\S+``), which equals Python's ``str.split()``
on text with newlines and runs of spaces, unlike ``str.split(" ")``.
"""

from __future__ import annotations

from typing import Literal

import polars as pl
from pydantic import Field

from curation.filters.words import word_counts
from curation.rows import decide
from curation.stages.base import Stage, StageParams
from curation.stages.registry import register_stage
from curation.verify.trace_format import THINK_PART


class LengthParams(StageParams):
    max_words: int | None = Field(500, gt=0, description="drop responses with more words than this (paper: 500)")
    min_words: int = Field(0, ge=0, description="drop responses with fewer words than this")
    count: Literal["response", "think"] = Field(
        "response", description="what is counted: the whole response or only the <think> part")
    column: str = Field("response", description="text column to measure")


@register_stage
class LengthFilter(Stage):
    type = "length"
    Params = LengthParams
    description = "drop traces outside [min_words, max_words] whitespace-separated words"

    def process_batch(self, batch: pl.DataFrame) -> pl.DataFrame:
        p: LengthParams = self.params  # type: ignore[assignment]
        text = pl.col(p.column)
        if p.count == "think":
            # a response without a think block counts as a whole
            text = pl.coalesce(text.str.extract(THINK_PART, 1), text)
        # materialize the count once: every later expression reads the column, not the text again
        counted = batch[p.column] if p.count == "response" else batch.select(text.alias(p.column)).to_series()
        batch = batch.with_columns(word_counts(counted).alias("word_count"))
        words = pl.col("word_count")
        too_long = pl.lit(False) if p.max_words is None else words > p.max_words
        too_short = words < p.min_words
        reason = pl.when(too_long).then(pl.lit("too_long")).otherwise(pl.lit("too_short"))
        detail = pl.format("{} words (bounds {}..{})", words, pl.lit(p.min_words),
                           pl.lit(p.max_words if p.max_words is not None else "inf"))
        return batch.with_columns(decide(~(too_long | too_short), reason, detail))
