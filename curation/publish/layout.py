"""The Hub layout of a snapshot: ``data/train-0000K-of-0000N.parquet`` shards with images embedded.

The columns of a column profile (``curation.publish.columns``) are kept as
they are; an ``images`` column (a list of the ``datasets`` ``Image`` feature,
bytes embedded, in the order of the row's ``image_ids``) is added, so a user's
``load_dataset(repo)`` gets decoded PIL images.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from datasets import Dataset, Features, Image, List, Value

from curation.publish.columns import ALL, IMAGES, ColumnProfile, column_profile
from curation.store import Snapshot, Store

SPLIT = "train"
DATA_DIR = "data"
DEFAULT_SHARD_BYTES = 256 * 1024 * 1024  # the Hub's dataset viewer handles shards of this size well
_VALUES = {pl.Utf8: "string", pl.Int8: "int8", pl.Int16: "int16", pl.Int32: "int32", pl.Int64: "int64",
           pl.UInt8: "uint8", pl.UInt16: "uint16", pl.UInt32: "uint32", pl.UInt64: "uint64",
           pl.Float32: "float32", pl.Float64: "float64", pl.Boolean: "bool", pl.Null: "null"}


@dataclass
class Layout:
    """What was written: the folder, its shards, and the sizes the card's ``dataset_info`` reports."""

    root: Path
    shards: list[Path]
    rows: int
    features: Features
    profile: ColumnProfile
    num_bytes: int = 0  # in-memory arrow size of the rows
    download_size: int = 0  # bytes of the parquet files
    extra_files: list[Path] = field(default_factory=list)

    def relative_files(self) -> list[str]:
        return sorted(str(p.relative_to(self.root)) for p in [*self.shards, *self.extra_files])


def feature_of(dtype: pl.DataType) -> Any:
    """The ``datasets`` feature of a Polars type (lists and structs recurse)."""
    if isinstance(dtype, pl.List):
        return List(feature_of(dtype.inner))
    if isinstance(dtype, pl.Struct):
        return {f.name: feature_of(f.dtype) for f in dtype.fields}
    if isinstance(dtype, pl.Datetime):
        return Value("timestamp[us]")
    for polars_type, name in _VALUES.items():
        if dtype == polars_type:
            return Value(name)
    return Value("string")  # anything exotic is published as text (cast below)


def hub_features(schema: pl.Schema, profile: ColumnProfile) -> Features:
    features: dict[str, Any] = {name: feature_of(schema[name]) for name in profile.kept}
    if profile.images:
        features[IMAGES] = List(Image())
    return Features(features)


def _with_images(batch: pl.DataFrame, store: Store) -> tuple[pl.DataFrame, int]:
    images, total = [], 0
    for ids in batch["image_ids"].to_list() if "image_ids" in batch.columns else [[]] * batch.height:
        row = []
        for sha in ids or []:
            data = store.images.get(sha)
            total += len(data)
            row.append({"bytes": data, "path": None})
        images.append(row)
    column = pl.Series("images", images, dtype=pl.List(pl.Struct({"bytes": pl.Binary, "path": pl.Utf8})))
    return batch.with_columns(column), total


def write_layout(snapshot: Snapshot, store: Store, out_dir: Path, *, profile: ColumnProfile | None = None,
                 max_shard_bytes: int = DEFAULT_SHARD_BYTES, batch_rows: int = 1000) -> Layout:
    """Write the parquet shards of ``snapshot`` under ``out_dir/data`` (a previous ``data/`` is replaced).

    ``profile`` picks the columns (every column when None).
    """
    full_schema = snapshot.scan().collect_schema()
    profile = profile or column_profile(ALL, full_schema.names())
    data_dir = out_dir / DATA_DIR
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    schema = pl.Schema({name: full_schema[name] for name in profile.kept})
    features = hub_features(full_schema, profile)
    read = [*profile.kept, *(["image_ids"] if profile.images and "image_ids" in full_schema
                             and "image_ids" not in profile.kept else [])]
    pending: list[pl.DataFrame] = []
    pending_bytes, parts, rows, num_bytes = 0, [], 0, 0

    def flush() -> None:
        nonlocal pending, pending_bytes, num_bytes
        image_type = pl.List(pl.Struct({"bytes": pl.Binary, "path": pl.Utf8}))
        frame = pl.concat(pending) if pending else pl.DataFrame(
            schema={**schema, **({IMAGES: image_type} if profile.images else {})})
        dataset = Dataset.from_polars(frame, features=features)
        path = data_dir / f".part-{len(parts):05d}.parquet"
        dataset.to_parquet(str(path))
        num_bytes += dataset.data.nbytes
        parts.append(path)
        pending, pending_bytes = [], 0

    for batch in snapshot.scan().select(read).collect_batches(chunk_size=batch_rows):
        image_bytes = 0
        if profile.images:
            batch, image_bytes = _with_images(batch, store)
        pending.append(batch.select(profile.columns))
        pending_bytes += image_bytes + batch.estimated_size()
        rows += batch.height
        if pending_bytes >= max_shard_bytes:
            flush()
    if pending or not parts:
        flush()
    shards = []
    for index, part in enumerate(parts):
        final = data_dir / f"{SPLIT}-{index:05d}-of-{len(parts):05d}.parquet"
        part.rename(final)
        shards.append(final)
    return Layout(root=out_dir, shards=shards, rows=rows, features=features, profile=profile, num_bytes=num_bytes,
                  download_size=sum(p.stat().st_size for p in shards))
