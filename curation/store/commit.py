"""The immutable record of one snapshot commit: everything the catalog writes for it, in one transaction.

The writer builds it once the snapshot's files are durable and in place; ``Catalog.commit_snapshot`` writes it.
Neither calls back into the other, and the record carries no live object (only values), so the catalog
transaction can run anywhere a lock is held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class FunnelCount:
    """Rows into and out of one stage of the run that made a snapshot."""

    stage_index: int
    stage: str
    stage_type: str
    rows_in: int
    rows_out: int
    seconds: float | None = None


@dataclass(frozen=True)
class ReasonCount:
    """Rows one stage dropped for one reason."""

    stage_index: int
    stage: str
    reason: str
    rows: int


@dataclass(frozen=True)
class SnapshotCommit:
    id: str
    name: str
    version: int
    kind: str
    rows: int
    path: Path  # the final folder, already in place and read-only
    created_at: datetime
    code_version: str
    manifest_json: str
    parents: tuple[str, ...] = ()
    edge_kind: str = "derived_from"
    edge_detail_json: str = "{}"
    funnel: tuple[FunnelCount, ...] = ()
    reasons: tuple[ReasonCount, ...] = ()
    rejection_files: tuple[str, ...] = ()  # parquet files in the rejections layout (curation.rows)
