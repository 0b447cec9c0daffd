"""Turning PoolRecords into pool rows: images into the image store, a stable content id per row."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

import polars as pl

from curation.rows import DETAIL, KEEP, REASON
from curation.schema import POOL_SCHEMA, IngestError, PoolRecord, row_id
from curation.store import ImageStore

ERROR_ROW_SCHEMA = {**POOL_SCHEMA, KEEP: pl.Boolean(), REASON: pl.Utf8(), DETAIL: pl.Utf8()}


def record_row(record: PoolRecord, images: ImageStore) -> dict:
    image_ids = [images.put(data) for data in record.images]
    return {
        "id": row_id(record.source, record.problem, record.answer, record.choices, image_ids),
        "source": record.source,
        "problem": record.problem,
        "answer": str(record.answer),
        "choices": [str(c) for c in record.choices],
        "image_ids": image_ids,
        "metadata": json.dumps(record.metadata, sort_keys=True, ensure_ascii=False, default=str),
        KEEP: True, REASON: None, DETAIL: None,
    }


def error_row(error: IngestError) -> dict:
    where = f" at {error.location}" if error.location else ""
    return {
        "id": row_id("ingest-error", error.location, error.row_index), "source": None, "problem": None,
        "answer": None, "choices": [], "image_ids": [],
        "metadata": json.dumps({"row_index": error.row_index, "location": error.location}),
        KEEP: False, REASON: error.reason, DETAIL: f"row {error.row_index}{where}: {error.detail}",
    }


def record_batches(records: Iterable[PoolRecord | IngestError], images: ImageStore,
                   batch_rows: int = 2000) -> Iterator[pl.DataFrame]:
    """Pool rows in batches; unreadable rows come out marked ``_keep=False`` with their reason."""
    rows: list[dict] = []
    for record in records:
        rows.append(error_row(record) if isinstance(record, IngestError) else record_row(record, images))
        if len(rows) >= batch_rows:
            yield pl.DataFrame(rows, schema=ERROR_ROW_SCHEMA)
            rows = []
    if rows:
        yield pl.DataFrame(rows, schema=ERROR_ROW_SCHEMA)
