"""format: the trace has the shape training expects, ``<think>…</think>`` then ``<answer>X</answer>``.

The rule lives in ``curation.verify.trace_format`` (the GRPO format reward, the check suite and the
synthetic teacher use the same one); the row's ``format_issue`` names the first rule it fails, in
the order of ``trace_format.RULES``. Pure Polars expressions.
"""

from __future__ import annotations

import polars as pl
from pydantic import Field

from curation.rows import decide
from curation.stages.base import Stage, StageParams
from curation.stages.registry import register_stage
from curation.verify.trace_format import issue_expr


class FormatParams(StageParams):
    column: str = Field("response", description="text column to check")


@register_stage
class FormatFilter(Stage):
    type = "format"
    Params = FormatParams
    description = "drop traces that are not <think>…</think> then <answer>X</answer> (curation.verify.trace_format)"

    def process_batch(self, batch: pl.DataFrame) -> pl.DataFrame:
        p: FormatParams = self.params  # type: ignore[assignment]
        issue = pl.col("format_issue")
        # streaming: the full-text scans run on every core
        return batch.lazy().with_columns(issue_expr(pl.col(p.column)).alias("format_issue")).with_columns(
            decide(issue.is_null(), "bad_format", issue)).collect(engine="streaming")
