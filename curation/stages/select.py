"""select: among the correct rollouts of each problem, keep the ones the SFT set is made of.

``shortest_correct`` (the paper's choice) keeps the fewest-word correct trace per problem,
``first_correct`` the lowest sample index, ``all_correct`` every correct one. Rows need a
``verdict`` column (run ``correctness`` first, e.g. with ``keep: [correct, wrong]`` to keep the
wrong ones for counting); ties go to the lower sample index, then the smaller id.
"""

from __future__ import annotations

from typing import Literal

import polars as pl
from pydantic import Field

from curation.filters.words import regex_word_count
from curation.rows import decide
from curation.stages.base import Stage, StageParams
from curation.stages.registry import register_stage


class SelectParams(StageParams):
    strategy: Literal["shortest_correct", "first_correct", "all_correct"] = Field(
        "shortest_correct", description="which correct rollouts of a problem to keep")
    group_by: str = Field("problem_id", description="column naming the problem a rollout answers")


@register_stage
class SelectStage(Stage):
    type = "select"
    Params = SelectParams
    scope = "global"
    output_kind = "sft"
    edge_kind = "selected_with"
    description = "keep the shortest (or first, or every) correct rollout per problem"

    def process(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        p: SelectParams = self.params  # type: ignore[assignment]
        schema = frame.collect_schema()
        for column in ("verdict", p.group_by, "response"):
            if column not in schema:
                raise ValueError(f"select: column {column!r} is missing; run the correctness filter before select "
                                 f"(columns: {', '.join(schema)})")
        correct = pl.col("verdict") == "correct"
        # count the response as it is now: reflection truncation may have shortened it after ``length``
        words = regex_word_count(pl.col("response"))
        index = pl.col("sample_index") if "sample_index" in schema else pl.lit(0)
        frame = frame.with_columns(words.cast(pl.Int64).alias("_words"), index.alias("_index"))
        order = ["_words", "_index", "id"] if p.strategy == "shortest_correct" else ["_index", "id"]
        # rank among correct rows only: wrong rows sort after every correct one
        frame = frame.with_columns((~correct).alias("_wrong"))
        frame = frame.with_columns(pl.int_range(1, pl.len() + 1).over(p.group_by, order_by=["_wrong", *order])
                                   .alias("_rank"))
        keep = correct if p.strategy == "all_correct" else correct & (pl.col("_rank") == 1)
        reason = pl.when(correct).then(pl.lit("not_selected")).otherwise(pl.lit("not_correct"))
        detail = pl.format("{} rank {} ({} words) in problem {}", pl.lit(p.strategy), pl.col("_rank"),
                           pl.col("_words"), pl.col(p.group_by))
        return frame.with_columns(decide(keep, reason, detail)).drop("_words", "_index", "_rank", "_wrong")
