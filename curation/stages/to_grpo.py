"""to_grpo: turn a pool, rollouts or sft snapshot into a grpo snapshot (one row per problem).

A GRPO row needs only what the rewards and the prompt need: problem, images,
answer (and choices). Rows of sft/rollouts snapshots are collapsed to their
problem (``problem_id``), so k samples of one problem give one prompt. After a
``difficulty`` stage, its per-problem ``pass_rate``, ``n_samples`` and
``n_correct`` are carried over; without one, ``pass_rate`` is null. Problems
without a reference answer cannot be rewarded and are dropped with reason
``no_answer``.
"""

from __future__ import annotations

import polars as pl
from pydantic import Field

from curation.rows import decide
from curation.schema import GRPO_SCHEMA
from curation.stages.base import Stage, StageParams
from curation.stages.registry import register_stage

DIFFICULTY_COUNTS = ("n_samples", "n_correct")


class ToGrpoParams(StageParams):
    drop_empty_answers: bool = Field(True, description="drop problems whose answer is null or blank (no reward "
                                                       "can be computed for them)")
    keep_columns: list[str] = Field(default_factory=list, description="extra columns to carry over (e.g. metadata)")


@register_stage
class ToGrpo(Stage):
    type = "to_grpo"
    Params = ToGrpoParams
    scope = "global"
    output_kind = "grpo"
    edge_kind = "filtered_from"
    description = "one GRPO prompt per problem: id, source, problem, answer, choices, image_ids, pass_rate"

    def process(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        p: ToGrpoParams = self.params  # type: ignore[assignment]
        schema = frame.collect_schema()
        problem_key = pl.col("problem_id") if "problem_id" in schema else pl.col("id")
        columns = [
            problem_key.alias("id"), pl.col("source"), pl.col("problem"), pl.col("answer"),
            pl.col("choices"), pl.col("image_ids"),
            (pl.col("pass_rate") if "pass_rate" in schema else pl.lit(None, dtype=GRPO_SCHEMA["pass_rate"]))
            .cast(pl.Float64).alias("pass_rate"),
            # the difficulty stage's counts behind the pass rate, when it ran
            *[pl.col(c) for c in DIFFICULTY_COUNTS if c in schema and c not in p.keep_columns],
            *[pl.col(c) for c in p.keep_columns if c in schema],
        ]
        missing = [c for c in p.keep_columns if c not in schema]
        if missing:
            raise ValueError(f"to_grpo: keep_columns {missing} are not columns of the input snapshot "
                             f"(columns: {', '.join(schema)})")
        # One row per problem; the other rollouts of a problem are dropped with a reason, never silently.
        first = pl.int_range(pl.len()).over("id") == 0
        has_answer = pl.col("answer").is_not_null() & (pl.col("answer").str.strip_chars() != "")
        keep = first & (has_answer if p.drop_empty_answers else pl.lit(True))
        reason = pl.when(~first).then(pl.lit("duplicate_problem")).otherwise(pl.lit("no_answer"))
        detail = pl.when(~first).then(pl.format("problem {} already has a GRPO row", pl.col("id"))) \
            .otherwise(pl.format("problem {} has no reference answer", pl.col("id")))
        return frame.select(columns).with_columns(decide(keep, reason, detail))
