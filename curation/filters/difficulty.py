"""difficulty: pass rate of the policy's k graded rollouts per problem, then keep a band (GRPO data).

Input: rollouts with a ``verdict`` per sample, i.e. ``reason`` (the policy, k samples) followed by
``correctness`` with ``keep: [correct, wrong, unparseable]`` so that no verdict is dropped. Scores,
per problem and written on each of its rows: ``n_samples`` (graded samples), ``n_correct`` and
``pass_rate = n_correct / n_samples``.

The band: ``min_pass_rate <= pass_rate <= max_pass_rate`` (both inclusive when set). Left unset,
the lower end excludes exactly 0 (never solved: no reward signal) and the upper end exactly 1
(always solved: no signal either), as open-r1 and MM-Eureka do. ``min_pass_rate: 0`` keeps unsolved
problems. Below the band: reason ``too_hard``; above: ``too_easy``.

Then the source mix of the ``mix`` stage (same params, same seeded choice): ``quotas`` per source,
``shares`` of the selection per source ("grow the geometry share", as the paper's GRPO-iter3), and
``max_problems``; the in-band problems they leave out get reason ``over_quota``.
"""

from __future__ import annotations

import polars as pl
from pydantic import Field, model_validator

from curation.filters.mix import MixParams, choose, decide_per_problem
from curation.rows import StageFailed
from curation.stages.base import Stage
from curation.stages.registry import register_stage

SCORES = ("n_samples", "n_correct", "pass_rate")
SELECTION_REASONS = ("too_hard", "too_easy", "over_quota")


def dropped_pass_rates(rejections: pl.LazyFrame) -> pl.Series:
    """Pass rate of each problem the selection left out, read from a snapshot's rejections (one per problem)."""
    dropped = rejections.filter(pl.col("reason").is_in(SELECTION_REASONS)).select(
        pl.col("row").str.json_path_match("$.problem_id").alias("problem"),
        pl.col("row").str.json_path_match("$.pass_rate").cast(pl.Float64).alias("pass_rate"),
    ).drop_nulls().unique("problem").collect()
    return dropped["pass_rate"]


class DifficultyParams(MixParams):
    min_pass_rate: float | None = Field(None, ge=0, le=1, description="lowest pass rate kept (inclusive); "
                                        "unset: anything above 0 (never-solved problems are too hard)")
    max_pass_rate: float | None = Field(None, ge=0, le=1, description="highest pass rate kept (inclusive); "
                                        "unset: anything below 1 (always-solved problems are too easy)")
    verdict_column: str = Field("verdict", description="verdict per sample, from the correctness filter")

    @model_validator(mode="after")
    def _band_ordered(self) -> DifficultyParams:
        if self.min_pass_rate is not None and self.max_pass_rate is not None \
                and self.min_pass_rate > self.max_pass_rate:
            raise ValueError(f"min_pass_rate {self.min_pass_rate} is above max_pass_rate {self.max_pass_rate}")
        return self

    def band_text(self) -> str:
        low = f"{self.min_pass_rate:g} <=" if self.min_pass_rate is not None else "0 <"
        high = f"<= {self.max_pass_rate:g}" if self.max_pass_rate is not None else "< 1"
        return f"{low} pass_rate {high}"


@register_stage
class DifficultyFilter(Stage):
    type = "difficulty"
    Params = DifficultyParams
    scope = "global"
    description = "pass rate of k graded rollouts per problem; keep a band, with per-source quotas and shares"

    def process(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        p: DifficultyParams = self.params  # type: ignore[assignment]
        schema = frame.collect_schema()
        problem = p.problem_column(schema.names())
        missing = [c for c in (problem, p.source_column, p.verdict_column) if c not in schema]
        if missing:
            raise StageFailed(
                f"difficulty: columns {missing} are missing (columns: {', '.join(schema)}); difficulty needs "
                f"rollouts graded by `correctness` with `keep: [correct, wrong, unparseable]` before it")
        problems = frame.group_by(problem).agg(
            pl.col(p.source_column).first().alias("_source"),
            pl.len().cast(pl.Int64).alias("n_samples"),
            (pl.col(p.verdict_column) == "correct").fill_null(False).sum().cast(pl.Int64).alias("n_correct"),
        ).with_columns((pl.col("n_correct") / pl.col("n_samples")).alias("pass_rate")).collect().sort(problem)
        decisions = self.select(problems, p, problem).select(problem, *SCORES, "_why", "_detail_problem")
        rows = frame.drop([c for c in SCORES if c in schema])
        return decide_per_problem(rows, decisions, problem, "_detail_problem")

    def select(self, problems: pl.DataFrame, p: DifficultyParams, problem: str) -> pl.DataFrame:
        """The per-problem table with ``_why`` (null: kept, else the reason) and ``_detail_problem``."""
        rate = pl.col("pass_rate")
        too_hard = rate < p.min_pass_rate if p.min_pass_rate is not None else rate <= 0
        too_easy = rate > p.max_pass_rate if p.max_pass_rate is not None else rate >= 1
        problems = problems.with_columns(
            pl.when(too_hard).then(pl.lit("too_hard")).when(too_easy).then(pl.lit("too_easy")).alias("_why"))
        problems = choose(problems, p, p.seed if p.seed is not None else self.ctx.seed, problem)
        rate_text = pl.format("pass rate {} ({}/{})", rate.round(3), pl.col("n_correct"), pl.col("n_samples"))
        band = pl.lit(p.band_text())
        detail = (pl.when(pl.col("_why") == "too_hard").then(pl.format("{} is below the band {}", rate_text, band))
                  .when(pl.col("_why") == "too_easy").then(pl.format("{} is above the band {}", rate_text, band))
                  .otherwise(pl.format("{} ({})", pl.col("_mix_detail"), rate_text)))
        return problems.with_columns(detail.alias("_detail_problem"))
