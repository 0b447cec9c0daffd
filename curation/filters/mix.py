"""mix: choose problems by source — per-source quotas, target shares and a total cap, seeded.

``difficulty`` applies the same choice after its pass-rate band; on its own, ``mix`` sets the source
mix of a pool before generation (the paper's later iterations change the mix, e.g. more geometry).

``quotas`` caps problems per source, ``shares`` asks for a fraction of the selection per source (the
sources not named share the rest), ``max_problems`` caps the total. With shares, the selection is the
largest that honours every share (at most ``max_problems``); rounding goes by largest remainder. The
problems left out get reason ``over_quota``. Which problems of a source are chosen is a seeded shuffle
of their ids (sha256 of seed and id), so the same input and seed always give the same selection.
Every row of a problem (k rollouts) shares its problem's decision.
"""

from __future__ import annotations

import math

import polars as pl
from pydantic import Field, model_validator

from curation.rows import StageFailed, decide
from curation.stages.base import Stage, StageParams
from curation.stages.order import seeded_order
from curation.stages.registry import register_stage

SHARE_SLACK = 1e-9
REST = "*"  # the bucket of the sources without a share


class MixParams(StageParams):
    quotas: dict[str, int] = Field(default_factory=dict, description="source -> most problems kept from it")
    shares: dict[str, float] = Field(default_factory=dict, description="source -> target fraction of the "
                                     "selected problems (e.g. {geometry: 0.5}); unnamed sources share the rest")
    max_problems: int | None = Field(None, gt=0, description="most problems kept in all")
    seed: int | None = Field(None, description="seed of the choice among problems (default: the recipe's seed)")
    group_by: str | None = Field(None, description="column naming the problem of a row "
                                 "(default: problem_id when present, else id)")
    source_column: str = Field("source", description="column the quotas and shares refer to")

    @model_validator(mode="after")
    def _mix_consistent(self) -> MixParams:
        bad = {s: q for s, q in self.quotas.items() if q < 0}
        if bad:
            raise ValueError(f"quotas must be 0 or more problems, got {bad}")
        bad_shares = {s: v for s, v in self.shares.items() if not 0 <= v <= 1}
        if bad_shares:
            raise ValueError(f"shares are fractions between 0 and 1, got {bad_shares}")
        if sum(self.shares.values()) > 1 + SHARE_SLACK:
            raise ValueError(f"shares add up to {sum(self.shares.values()):g}; they must add up to at most 1")
        return self

    def problem_column(self, columns: list[str]) -> str:
        return self.group_by or ("problem_id" if "problem_id" in columns else "id")


def share_targets(available: dict[str, int], shares: dict[str, float], max_problems: int | None) -> dict[str, int]:
    """Problems to take per source: the largest total that honours every share, at most ``max_problems``.

    The sources without a share form one bucket, returned under the key ``"*"``. A named source with
    no eligible problem left cannot be honoured and is skipped (the others keep their shares).
    """
    shares = {s: v for s, v in shares.items() if available.get(s, 0) > 0}
    rest_available = sum(n for s, n in available.items() if s not in shares)
    rest_share = max(0.0, 1 - sum(shares.values()))
    if rest_available == 0 and sum(shares.values()) > 0:
        # no other source to fill the rest: the named shares are taken relative to each other
        total = sum(shares.values())
        shares, rest_share = {s: v / total for s, v in shares.items()}, 0.0
    limits = [available.get(s, 0) / v for s, v in shares.items() if v > 0]
    if rest_share > 0:
        limits.append(rest_available / rest_share)
    size = math.floor(min(limits) + SHARE_SLACK) if limits else 0
    if max_problems is not None:
        size = min(size, max_problems)
    exact = {s: v * size for s, v in shares.items()}
    capacity = {s: available.get(s, 0) for s in shares}
    if rest_share > 0:
        exact[REST], capacity[REST] = rest_share * size, rest_available
    targets = {b: min(capacity[b], math.floor(x + SHARE_SLACK)) for b, x in exact.items()}
    # what rounding down left over goes to the largest remainders (largest remainder method)
    left = size - sum(targets.values())
    for bucket in sorted(exact, key=lambda b: (-(exact[b] - math.floor(exact[b] + SHARE_SLACK)), b)):
        if left <= 0:
            break
        if targets[bucket] < capacity[bucket]:
            targets[bucket] += 1
            left -= 1
    return {**{s: 0 for s in shares}, REST: 0, **targets}


def choose(problems: pl.DataFrame, p: MixParams, seed: int, problem_column: str) -> pl.DataFrame:
    """One row per problem with ``_source`` and ``_why`` (null = still eligible): marks the problems the
    quotas, shares and max_problems leave out with ``_why = "over_quota"`` and says why in ``_mix_detail``."""
    present = set(problems["_source"].drop_nulls().unique())
    unknown = sorted(set(p.shares) - present)
    if unknown:
        raise StageFailed(f"shares name sources {unknown} that no row has (sources: {', '.join(sorted(present))}); "
                          "use the source names of the input, as in its `source` column")
    problems = problems.with_columns(
        seeded_order(problems[problem_column].cast(pl.Utf8), seed).alias("_key"))
    eligible = pl.col("_why").is_null()

    def cut_by(bucket: pl.Expr, target: pl.Expr, detail: pl.Expr, frame: pl.DataFrame) -> pl.DataFrame:
        rank = pl.col("_key").rank("ordinal").over([bucket, eligible])
        cut = eligible & target.is_not_null() & (rank > target)
        return frame.with_columns(pl.when(cut).then(pl.lit("over_quota")).otherwise(pl.col("_why")).alias("_why"),
                                  pl.when(cut).then(detail).otherwise(pl.col("_mix_detail")).alias("_mix_detail"))

    problems = problems.with_columns(pl.lit(None, dtype=pl.Utf8).alias("_mix_detail"))
    source = pl.col("_source")
    if p.quotas:
        quota = source.replace_strict(p.quotas, default=None, return_dtype=pl.Int64)
        problems = cut_by(source, quota, pl.format("source {}: quota of {} problems reached", source, quota),
                          problems)
    if p.shares:
        available = dict(problems.filter(eligible).group_by("_source").len().iter_rows())
        targets = share_targets(available, p.shares, p.max_problems)
        size = sum(targets.values())
        named = source.is_in(list(p.shares))
        bucket = pl.when(named).then(source).otherwise(pl.lit(REST))
        share = source.replace_strict({s: f"{v:g}" for s, v in p.shares.items()}, default=None, return_dtype=pl.Utf8)
        rest = f"{max(0.0, 1 - sum(p.shares.values())):g}"
        detail = pl.when(named).then(pl.format("source {}: share {} of {} selected problems is full", source, share,
                                               pl.lit(size))) \
            .otherwise(pl.format("source {}: the other sources' share {} of {} selected problems is full", source,
                                 pl.lit(rest), pl.lit(size)))
        problems = cut_by(bucket, bucket.replace_strict(targets, default=0, return_dtype=pl.Int64), detail, problems)
    elif p.max_problems is not None:
        problems = cut_by(pl.lit(REST), pl.lit(p.max_problems, dtype=pl.Int64),
                          pl.format("source {}: max_problems {} reached", source, pl.lit(p.max_problems)), problems)
    return problems.drop("_key")


def decide_per_problem(rows: pl.LazyFrame, decisions: pl.DataFrame, problem: str, detail: str) -> pl.LazyFrame:
    """Every row of a problem gets its problem's decision: ``_why`` (null: kept, else the reason) and ``detail``."""
    out = rows.join(decisions.lazy(), on=problem, how="left", maintain_order="left")
    return out.with_columns(decide(pl.col("_why").is_null(), pl.col("_why"), pl.col(detail))).drop("_why", detail)


@register_stage
class MixStage(Stage):
    type = "mix"
    Params = MixParams
    scope = "global"
    description = "choose problems by source: quotas, shares and a total cap (seeded); drops get over_quota"

    def process(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        p: MixParams = self.params  # type: ignore[assignment]
        schema = frame.collect_schema()
        problem = p.problem_column(schema.names())
        missing = [c for c in (problem, p.source_column) if c not in schema]
        if missing:
            raise StageFailed(f"mix: columns {missing} are missing (columns: {', '.join(schema)}); "
                              "set group_by / source_column")
        problems = frame.group_by(problem).agg(pl.col(p.source_column).first().alias("_source")).collect() \
            .sort(problem).with_columns(pl.lit(None, dtype=pl.Utf8).alias("_why"))
        seed = p.seed if p.seed is not None else self.ctx.seed
        chosen = choose(problems, p, seed, problem).select(problem, "_why", "_mix_detail")
        return decide_per_problem(frame, chosen, problem, "_mix_detail")
