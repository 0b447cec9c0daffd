"""Snapshot store: immutable parquet snapshots, content-addressed images, DuckDB catalog."""

from curation.store.catalog import Catalog, sql_file
from curation.store.identity import content_id
from curation.store.images import ImageNotFound, ImageStore
from curation.store.snapshot import Snapshot, SnapshotInfo
from curation.store.store import SnapshotNotFound, Store, default_store_path, parse_ref
from curation.store.writer import SnapshotWriter

__all__ = [
    "Catalog", "ImageNotFound", "ImageStore", "Snapshot", "SnapshotInfo", "SnapshotNotFound", "SnapshotWriter",
    "Store", "content_id", "default_store_path", "parse_ref", "sql_file",
]
