"""sample: keep ``n`` rows in a seeded, reproducible order (sizes per loop iteration, disjoint slices).

Rows are ordered by sha256(seed, id) (``curation.stages.order``), so the same seed picks the same rows on
any machine and any Polars version; ``offset`` skips the first rows of that
order, so two stages with one seed and offsets 0 and n take disjoint slices
(the loop's SFT and GRPO problems). Rows outside the slice are dropped with
reason ``not_sampled``.

    stages:
      - {type: sample, n: 5000, seed: 2, offset: 25000}
"""

from __future__ import annotations

import polars as pl
from pydantic import Field

from curation.rows import decide
from curation.stages.base import Stage, StageParams
from curation.stages.order import seeded_order
from curation.stages.registry import register_stage


class SampleParams(StageParams):
    n: int = Field(gt=0, description="rows to keep (all rows when the input has fewer)")
    seed: int = Field(0, description="seed of the order; the same seed keeps the same rows")
    offset: int = Field(0, ge=0, description="skip this many rows of the seeded order first (disjoint slices)")
    key: str = Field("id", description="column the order is computed from (one value per row)")


@register_stage
class SampleStage(Stage):
    type = "sample"
    Params = SampleParams
    scope = "global"
    description = "keep n rows in a seeded order (offset: skip the first rows of it)"

    def process(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        p: SampleParams = self.params  # type: ignore[assignment]
        if p.key not in frame.collect_schema():
            raise ValueError(f"sample: column {p.key!r} is missing; set `key:` to a column of the input")
        order = pl.col(p.key).map_batches(lambda keys: seeded_order(keys, p.seed), return_dtype=pl.Int64)
        position = pl.int_range(pl.len()).sort_by(pl.col("_order")).arg_sort()
        ranked = frame.with_columns(order.alias("_order")).with_columns(position.alias("_position"))
        keep = (pl.col("_position") >= p.offset) & (pl.col("_position") < p.offset + p.n)
        detail = pl.format("position {} of the seed-{} order; kept {}..{}", pl.col("_position"), pl.lit(p.seed),
                           pl.lit(p.offset), pl.lit(p.offset + p.n - 1))
        return ranked.with_columns(decide(keep, "not_sampled", detail)).drop("_order", "_position")
