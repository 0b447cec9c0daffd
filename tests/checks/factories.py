"""Good snapshots of every kind, with real images in the store, for checks and publish tests."""

from __future__ import annotations

import polars as pl

from curation.schema import row_id
from curation.store import SnapshotInfo, Store
from curation.verify.trace_format import render
from tests.conftest import pool_frame

SOURCES = ("synth_chart", "synth_geometry")


def good_pool(store: Store, n: int = 12) -> pl.DataFrame:
    halves = [pool_frame(store, n // 2, source=SOURCES[0]),
              pool_frame(store, n - n // 2, source=SOURCES[1]).with_columns(
                  pl.col("problem").str.replace("What", "How much"))]
    return pl.concat(halves)


def trace(answer: str, words: int = 12) -> str:
    return render(" ".join(["reason"] * words), answer)


def good_frame(store: Store, kind: str, n: int = 12) -> pl.DataFrame:
    pool = good_pool(store, n)
    if kind == "pool":
        return pool
    if kind == "rollouts":
        return pool.with_columns(
            pl.col("id").alias("problem_id"), pl.lit(0, dtype=pl.Int32).alias("sample_index"),
            pl.lit("teacher").alias("model"),
            pl.col("answer").map_elements(trace, return_dtype=pl.Utf8).alias("response"),
        ).with_columns(pl.concat_str("problem_id", pl.lit("-0")).alias("id"))
    if kind == "sft":
        return pool.select(
            pl.col("id").map_elements(lambda i: row_id("sft", i), return_dtype=pl.Utf8).alias("id"),
            pl.col("id").alias("problem_id"), "source", "problem", "answer", "choices", "image_ids",
            pl.col("answer").map_elements(trace, return_dtype=pl.Utf8).alias("response"))
    if kind == "grpo":
        rates = [round((i % 5) / 4, 2) for i in range(pool.height)]
        return pool.drop("metadata").with_columns(pl.Series("pass_rate", rates, dtype=pl.Float64))
    raise ValueError(kind)


def write_snapshot(store: Store, kind: str, frame: pl.DataFrame, name: str | None = None,
                   config: dict | None = None, metadata: dict | None = None) -> SnapshotInfo:
    with store.writer(name or f"{kind}-test", kind, config=config or {"rows": frame.height, "kind": kind},
                      metadata=metadata) as writer:
        writer.write(frame)
    assert writer.committed is not None
    return writer.committed
