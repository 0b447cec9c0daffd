"""dedup: one row per exact duplicate (normalized text + image hashes), optionally per near-duplicate
cluster of problems (MinHash over word n-grams, LSH banding, Jaccard estimate >= threshold).

The kept row of a cluster is the one with the smallest ``id``, so reruns keep the same rows.
Scores: ``dedup_key`` (hash of the exact key) and ``duplicate_of`` (the kept id; null when kept).
On rollouts, add ``response`` to ``columns``, or every sample of a problem after the first is a
duplicate.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import Field

from curation.filters.near_spill import spilled_similar_pairs
from curation.rows import decide
from curation.stages.base import Stage, StageParams
from curation.stages.registry import register_stage
from curation.verify.normalize import WHITESPACE


class DedupParams(StageParams):
    columns: list[str] = Field(default_factory=lambda: ["problem", "image_ids"],
                               description="columns forming the exact key (text is case- and space-normalized)")
    near_threshold: float | None = Field(None, gt=0, le=1,
                                         description="also drop near-duplicate problems at this Jaccard similarity")
    near_column: str = Field("problem", description="text column compared for near duplicates")
    ngram: int = Field(3, ge=1, description="words per shingle for near duplicates")
    permutations: int = Field(64, ge=8, le=256, description="MinHash permutations (bands x rows)")
    bands: int = Field(16, ge=1, description="LSH bands; permutations must divide evenly")


SPILL_PARTITIONS = 16  # hash partitions of the exact keys on disk: memory holds one partition's keys at a time
JOIN_CHUNK_ROWS = 500_000  # rows per piece of pass 2: an order-keeping join over everything buffers more with size


# Whitespace runs other than a lone space: replacing only these with " " gives the same text as
# replacing every run (``\s+``), with a fraction of the regex matches on real traces.
SPACE_RUNS = f"{WHITESPACE[:-1]}]{{2,}}|{WHITESPACE.replace(' ', '')}"


def normalized(column: str, dtype: pl.DataType) -> pl.Expr:
    """Text lower-cased with whitespace runs collapsed; a list joined after sorting (order-free key)."""
    if isinstance(dtype, pl.List):
        return pl.col(column).list.eval(pl.element().cast(pl.Utf8)).list.sort().list.join(",")
    return pl.col(column).cast(pl.Utf8).str.to_lowercase().str.replace_all(SPACE_RUNS, " ").str.strip_chars()


def near_clusters(similar: pl.DataFrame) -> pl.DataFrame:
    """Columns ``id``, ``near_of`` (smallest id of its cluster) for every clustered row but that smallest one,
    from similar pairs (``id``, ``id_right``); clusters are the connected components of the pairs."""
    if similar.height == 0:
        return pl.DataFrame(schema={"id": pl.Utf8, "near_of": pl.Utf8})
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for a, b in sorted(similar.select("id", "id_right").iter_rows()):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return pl.DataFrame({"id": list(parent), "near_of": [find(x) for x in parent]},
                        schema={"id": pl.Utf8, "near_of": pl.Utf8})


def spilled_exact_duplicates(frame: pl.LazyFrame, key: pl.Expr, spill: Path) -> pl.LazyFrame:
    """``_row``, ``duplicate_of`` of every exact duplicate (not of kept rows), with flat memory.

    Pass 1 streams (row, id, key) into ``SPILL_PARTITIONS`` parquet partitions by key hash; each partition is
    deduplicated on its own (rows with equal keys share a partition), keeping the smallest id (ties: the first
    row). Only the duplicates are written back, so the join of pass 2 holds them, never one entry per row.
    """
    keys_dir = spill / "keys"
    indexed = frame.with_row_index("_row")
    indexed.select("_row", "id", key.alias("dedup_key")).with_columns(
        (pl.col("dedup_key") % SPILL_PARTITIONS).alias("_part")
    ).sink_parquet(pl.PartitionBy(keys_dir, key="_part", include_key=False), mkdir=True)
    parts: dict[Path, list[Path]] = {}
    for file in sorted(keys_dir.rglob("*.parquet")):
        parts.setdefault(file.parent, []).append(file)
    found = []
    for index, files in enumerate(parts.values()):
        keys = pl.read_parquet(files)
        firsts = keys.sort("id", "_row").group_by("dedup_key").agg(
            pl.col("id").first().alias("duplicate_of"), pl.col("_row").first().alias("_first_row"))
        duplicates = keys.join(firsts, on="dedup_key").filter(pl.col("_row") != pl.col("_first_row"))
        path = spill / f"duplicates-{index:03d}.parquet"
        duplicates.select("_row", "duplicate_of").write_parquet(path)
        found.append(str(path))
    shutil.rmtree(keys_dir, ignore_errors=True)
    if not found:
        return pl.LazyFrame(schema={"_row": indexed.collect_schema()["_row"], "duplicate_of": pl.Utf8})
    return pl.scan_parquet(found)


@register_stage
class DedupFilter(Stage):
    type = "dedup"
    Params = DedupParams
    scope = "global"
    description = "drop exact and (optionally) near-duplicate rows, keeping the smallest id per cluster"

    def __init__(self, params: StageParams, ctx: Any) -> None:
        super().__init__(params, ctx)
        self._spills: list[Path] = []

    def close(self) -> None:
        for spill in self._spills:
            shutil.rmtree(spill, ignore_errors=True)
        self._spills.clear()

    def process(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        p: DedupParams = self.params  # type: ignore[assignment]
        schema = frame.collect_schema()
        needed = [*p.columns, *([p.near_column] if p.near_threshold is not None else [])]
        missing = [c for c in dict.fromkeys(needed) if c not in schema]
        if missing:
            raise ValueError(f"dedup: columns {missing} are not in the data (columns: {', '.join(schema)})")
        if p.near_threshold is not None and p.permutations % p.bands:
            raise ValueError(f"dedup: permutations ({p.permutations}) must be a multiple of bands ({p.bands})")
        key = pl.concat_str([normalized(c, schema[c]).fill_null("") for c in p.columns], separator="\x1f").hash()
        frame = frame.drop("dedup_key", "duplicate_of", strict=False)  # an earlier dedup's scores: recomputed here
        base = self.ctx.work_dir if self.ctx.work_dir is not None else Path(tempfile.gettempdir())
        spill = base / f"dedup-spill-{uuid.uuid4().hex[:8]}"
        self._spills.append(spill)  # the returned plan reads it; close() removes it after the run
        duplicates = spilled_exact_duplicates(frame, key, spill)
        near = self._near_duplicates(frame, duplicates, spill, p) if p.near_threshold is not None else None
        return _decided(frame, key, duplicates, near)

    @staticmethod
    def _near_duplicates(frame: pl.LazyFrame, duplicates: pl.LazyFrame, spill: Path, p: DedupParams) -> pl.DataFrame:
        """``id``, ``near_of`` among the rows that are not exact duplicates, with flat memory: their texts are
        streamed to disk and the candidates made from there (``curation.filters.near_spill``)."""
        texts = spill / "near-texts.parquet"
        frame.with_row_index("_row").join(duplicates, on="_row", how="anti").select(
            "id", p.near_column).sink_parquet(texts)
        similar = spilled_similar_pairs(texts, p.near_column, spill / "near", ngram=p.ngram,
                                        permutations=p.permutations, bands=p.bands, threshold=p.near_threshold or 1.0)
        texts.unlink(missing_ok=True)
        return near_clusters(similar)


def _decided(frame: pl.LazyFrame, key: pl.Expr, duplicates: pl.LazyFrame, near: pl.DataFrame | None) -> pl.LazyFrame:
    """The rows with ``dedup_key``, ``duplicate_of`` (exact first, else the near cluster's) and the keep decision.
    The exact duplicates join by position in pieces of ``JOIN_CHUNK_ROWS``; the near clusters (small) by id."""
    rows = frame.select(pl.len()).collect().item()
    pieces = [frame.slice(start, JOIN_CHUNK_ROWS).with_row_index("_row", offset=start).join(
        duplicates.filter(pl.col("_row").is_between(start, start + JOIN_CHUNK_ROWS - 1)), on="_row",
        how="left", maintain_order="left") for start in range(0, max(rows, 1), JOIN_CHUNK_ROWS)]
    frame = pl.concat(pieces, how="vertical")
    kind = pl.lit("exact")
    if near is not None:
        kind = pl.when(pl.col("duplicate_of").is_not_null()).then(kind).otherwise(pl.lit("near"))
        frame = frame.join(near.lazy(), on="id", how="left", maintain_order="left").with_columns(
            pl.coalesce("duplicate_of", "near_of").alias("duplicate_of"), kind.alias("_kind")).drop("near_of")
    else:
        frame = frame.with_columns(kind.alias("_kind"))
    detail = pl.format("{} duplicate of {}", pl.col("_kind"), pl.col("duplicate_of"))
    return frame.select(pl.exclude("_row", "duplicate_of", "_kind"), key.alias("dedup_key"), "duplicate_of",
                        "_kind").with_columns(decide(pl.col("duplicate_of").is_null(), "duplicate", detail)).drop("_kind")
