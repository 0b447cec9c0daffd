"""Row schemas of the snapshot kinds and stable row ids.

Every kind lists its required columns; stages may add more (score columns such
as ``word_count`` or ``verdict``) and those travel with the snapshot so that
thresholds can be re-cut later without recomputation.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import polars as pl

# What every kind shares: a problem, its gold answer and options, and its images by sha256.
PROBLEM_COLUMNS: dict[str, pl.DataType] = {
    "id": pl.Utf8(),
    "source": pl.Utf8(),
    "problem": pl.Utf8(),
    "answer": pl.Utf8(),
    "choices": pl.List(pl.Utf8()),
    "image_ids": pl.List(pl.Utf8()),
}

POOL_SCHEMA: dict[str, pl.DataType] = {**PROBLEM_COLUMNS, "metadata": pl.Utf8()}

ROLLOUTS_SCHEMA: dict[str, pl.DataType] = {
    **POOL_SCHEMA,
    "problem_id": pl.Utf8(),
    "sample_index": pl.Int32(),
    "model": pl.Utf8(),
    "response": pl.Utf8(),
}

SFT_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Utf8(),
    "problem_id": pl.Utf8(),
    **{k: v for k, v in PROBLEM_COLUMNS.items() if k != "id"},
    "response": pl.Utf8(),
}

GRPO_SCHEMA: dict[str, pl.DataType] = {**PROBLEM_COLUMNS, "pass_rate": pl.Float64()}

SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "pool": POOL_SCHEMA,
    "rollouts": ROLLOUTS_SCHEMA,
    "sft": SFT_SCHEMA,
    "grpo": GRPO_SCHEMA,
}
KINDS = tuple(SCHEMAS)


class SchemaError(ValueError):
    """A frame does not have the columns or types its snapshot kind requires."""


def row_id(*parts: Any) -> str:
    """Stable content hash of the parts (20 hex chars); the same content always gets the same id."""
    digest = hashlib.sha256()
    for part in parts:
        if not isinstance(part, str):
            part = json.dumps(part, sort_keys=True, ensure_ascii=False, default=str)
        digest.update(part.encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()[:20]


def compatible(actual: pl.DataType, expected: pl.DataType) -> bool:
    """Equal types, or an all-null column (typed Null, or a list of Null) that casts losslessly."""
    if actual == expected or actual == pl.Null():
        return True
    if isinstance(actual, pl.List) and isinstance(expected, pl.List):
        return compatible(actual.inner, expected.inner)
    return False


def validate_frame(frame: pl.DataFrame | pl.LazyFrame, kind: str, *, where: str = "") -> None:
    """Raise SchemaError naming every missing or mistyped required column of ``kind``."""
    if kind not in SCHEMAS:
        raise SchemaError(f"unknown snapshot kind {kind!r}; known kinds: {', '.join(KINDS)}")
    schema = frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema
    problems = []
    for column, dtype in SCHEMAS[kind].items():
        if column not in schema:
            problems.append(f"missing column {column!r} ({dtype})")
        elif not compatible(schema[column], dtype):
            problems.append(f"column {column!r} is {schema[column]}, expected {dtype}")
    if problems:
        prefix = f"{where}: " if where else ""
        raise SchemaError(f"{prefix}not a valid {kind!r} frame: " + "; ".join(problems))


def conform(frame: pl.DataFrame, kind: str) -> pl.DataFrame:
    """Cast required columns to their declared types (nulls allowed), keep extra columns after them."""
    schema = SCHEMAS[kind]
    required = [pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c) for c, t in schema.items()]
    extra = [c for c in frame.columns if c not in schema]
    return frame.select(required + extra)


@dataclass
class PoolRecord:
    """One problem read from a source, before its images are put in the image store."""

    source: str
    problem: str
    answer: str
    choices: list[str] = field(default_factory=list)
    images: list[bytes] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class IngestError:
    """A source row that could not be read; quarantined with its reason instead of stopping the run."""

    row_index: int
    reason: str
    detail: str
    location: str = ""
