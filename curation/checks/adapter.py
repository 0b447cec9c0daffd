"""Polars -> pandas adapter: Great Expectations has no Polars data source.

Rows are handed over in batches, projected to the columns the suites read,
with derived columns computed by Polars first (word counts, image status, a
string key of the image list), so GX never sees list columns or image bytes.
Checks that need every row at once (unique ids, duplicate pairs, source mix)
get one narrow frame of short columns instead.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import polars as pl
from PIL import Image

from curation.filters.words import regex_word_count
from curation.store.images import ImageStore

IMAGE_STATUS, IMAGE_KEY, WORD_COUNT = "image_status", "image_key", "word_count"
TEXT_COLUMNS = ("problem", "answer", "response")


class ImageProbe:
    """Status of each referenced image ("ok", "missing", "undecodable"), computed once per hash."""

    def __init__(self, images: ImageStore, mode: str = "decode", threads: int | None = None) -> None:
        self.images = images
        self.mode = mode
        self.threads = threads or min(8, (os.cpu_count() or 2) * 2)
        self.status: dict[str, str] = {}

    def _probe(self, sha: str) -> str:
        path = self.images.path(sha)
        if not path.is_file():
            return "missing"
        if self.mode == "exists":
            return "ok"
        try:
            with Image.open(io.BytesIO(path.read_bytes())) as image:
                image.load()  # a full decode: verify() alone misses truncated pixel data
        except Exception:  # noqa: BLE001 - any decoder error means the image is unusable
            return "undecodable"
        return "ok"

    def probe(self, hashes: Iterable[str]) -> None:
        todo = [h for h in dict.fromkeys(hashes) if h is not None and h not in self.status]
        if not todo:
            return
        # PIL releases the GIL while decoding, so threads overlap the work.
        with ThreadPoolExecutor(self.threads) as pool:
            for sha, status in zip(todo, pool.map(self._probe, todo), strict=True):
                self.status[sha] = status

    def row_status(self, batch: pl.DataFrame, require_images: bool) -> pl.Series:
        """Per row: "ok", or the first problem as "missing <sha>" / "undecodable <sha>" / "no image"."""
        if self.mode == "off" or "image_ids" not in batch.columns:
            return pl.Series(IMAGE_STATUS, ["ok"] * batch.height, dtype=pl.Utf8)
        exploded = batch.select(pl.int_range(pl.len()).alias("_row"), pl.col("image_ids")).explode("image_ids")
        self.probe(exploded["image_ids"].drop_nulls().to_list())
        mapping = pl.DataFrame({"image_ids": list(self.status), "_status": list(self.status.values())},
                               schema={"image_ids": pl.Utf8, "_status": pl.Utf8})
        bad = (exploded.drop_nulls("image_ids").join(mapping, on="image_ids", how="left")
               .filter(pl.col("_status") != "ok")
               .group_by("_row").agg(pl.format("{} {}", pl.col("_status").first(), pl.col("image_ids").first())
                                     .alias("_problem")))
        empty = pl.col("image_ids").list.len().fill_null(0) == 0
        frame = (batch.select(pl.int_range(pl.len()).alias("_row"), empty.alias("_empty"))
                 .join(bad, on="_row", how="left").sort("_row"))
        no_image = pl.lit("no image") if require_images else pl.lit("ok")
        status = frame.select(pl.coalesce(pl.col("_problem"), pl.when(pl.col("_empty")).then(no_image)
                                          .otherwise(pl.lit("ok"))).alias(IMAGE_STATUS))
        return status[IMAGE_STATUS]


def image_key(column: str = "image_ids") -> pl.Expr:
    """The image list as one string, so (problem, images) pairs compare as scalars."""
    return pl.col(column).list.join(",").fill_null("").alias(IMAGE_KEY)


def row_frames(lazy: pl.LazyFrame, columns: list[str], probe: ImageProbe | None, require_images: bool,
               batch_rows: int = 50_000) -> Iterator[pd.DataFrame]:
    """Batches as pandas frames holding ``columns`` (those present) plus the derived check columns.

    Polars streams the projection, so memory holds one batch of the projected columns at a time.
    """
    schema = lazy.collect_schema()
    wanted = [c for c in dict.fromkeys(["id", *columns]) if c in schema and not isinstance(schema[c], pl.List)]
    derived: list[pl.Expr] = []
    if "response" in schema:
        derived.append(regex_word_count(pl.col("response")).alias(WORD_COUNT))
    if "image_ids" in schema:
        derived += [image_key(), pl.col("image_ids")]
    # null text counts as empty text, so "answer_not_empty" also catches a missing answer
    projected = lazy.select([pl.col(c).fill_null("") if c in TEXT_COLUMNS else pl.col(c) for c in wanted] + derived)
    for batch in projected.collect_batches(chunk_size=batch_rows):
        if probe is not None and "image_ids" in batch.columns:
            batch = batch.with_columns(probe.row_status(batch, require_images))
        yield batch.drop("image_ids", strict=False).to_pandas()


def table_frame(lazy: pl.LazyFrame, columns: list[str]) -> pd.DataFrame:
    """One narrow frame of every row (ids, sources, pair keys) for checks that compare rows."""
    schema = lazy.collect_schema()
    exprs = [pl.col(c) for c in columns if c in schema and c != IMAGE_KEY]
    if IMAGE_KEY in columns and "image_ids" in schema:
        exprs.append(image_key())
    return lazy.select(exprs).collect(engine="streaming").to_pandas()


def source_shares(lazy: pl.LazyFrame, sources: list[str]) -> pd.DataFrame:
    """One row, one column per source: its share of all rows (0.0 for a source with no rows)."""
    counts = lazy.group_by("source").agg(pl.len().alias("rows")).collect()
    total = max(int(counts["rows"].sum()), 1)
    by_source = dict(zip(counts["source"].to_list(), counts["rows"].to_list(), strict=True))
    return pd.DataFrame({source: [by_source.get(source, 0) / total] for source in sources})
