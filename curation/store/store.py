"""The store: snapshots on disk, images by hash, and the DuckDB catalog that lists them."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from curation import __version__
from curation.safe_paths import UnsafeName, check_snapshot_name, resolve_inside
from curation.schema import KINDS, row_id
from curation.store.catalog import Catalog
from curation.store.fs import StoreFS, cache_dir_for, is_url
from curation.store.images import ImageStore
from curation.store.remote import RemoteStore
from curation.store.snapshot import Snapshot, SnapshotInfo
from curation.store.writer import SnapshotWriter

DEFAULT_STORE = "./thinkset-store"
_REF = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:@v?(?P<version>\d+))?$")


class SnapshotNotFound(LookupError):
    """A snapshot reference names nothing in the catalog."""


def default_store_path() -> str | Path:
    root = os.environ.get("THINKSET_STORE") or DEFAULT_STORE
    return root if is_url(root) else Path(root)


def parse_ref(ref: str) -> tuple[str, int | None]:
    """``name`` (latest), ``name@v3`` or ``name@3`` -> (name, version or None)."""
    match = _REF.match(ref.strip())
    if not match:
        raise SnapshotNotFound(f"{ref!r} is not a snapshot reference; write NAME or NAME@vN (e.g. sft-iter1@v2)")
    version = match.group("version")
    return match.group("name"), int(version) if version else None


class Store:
    """A store folder: snapshots on disk, images by hash, and the catalog (``curation.store.catalog``) that lists them."""

    def __init__(self, root: str | Path | None = None) -> None:
        root = root if root is not None else default_store_path()
        # A URL store (file://, s3://, gs://): files are published there (curation.store.remote); the catalog
        # and a read cache stay in a local folder, which `rebuild_catalog` can make again anywhere.
        self.url = str(root) if is_url(root) else None
        self.remote = RemoteStore(StoreFS(str(root))) if self.url else None
        self.root = cache_dir_for(str(root)) if self.url else Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.images = ImageStore(self.root / "images")
        self.catalog = Catalog(self.root / "catalog.duckdb", root=self.root)

    # -- writing --------------------------------------------------------------
    def writer(self, name: str, kind: str, **kwargs: Any) -> SnapshotWriter:
        """A writer for the next version of ``name`` (a plain name, see ``check_snapshot_name``); see ``SnapshotWriter``."""
        check_snapshot_name(name)
        for folder in (self.root / "snapshots" / name, self.root / "tmp"):
            if folder.exists() and resolve_inside(self.root, folder) is None:  # a planted symlink leading out
                raise UnsafeName(f"{folder} leads outside the store {self.root} (a symlink); refusing to write "
                                 "there: remove the link (run `thinkset store verify`)")
        writer = SnapshotWriter(self.root, self.catalog, self.images, name, kind, **kwargs)
        writer.remote = self.remote
        return writer

    def rebuild_catalog(self) -> list[str]:
        """A URL store: list every snapshot published at the URL that the local catalog lacks (ids added)."""
        if self.remote is None:
            raise ValueError(f"store {self.root} is a local folder: its catalog is rebuilt from nothing else; "
                             "rebuild-catalog is for a store URL (file://, s3://, gs://)")
        return self.remote.rebuild_catalog(self.root, self.catalog, self.images)

    def next_version(self, name: str) -> int:
        return self.catalog.next_version(name)

    def register_artifact(self, *, name: str, kind: str, path: str | Path, artifact_type: str = "model",
                          metadata: dict[str, Any] | None = None,
                          edges: list[tuple[str, str]] | None = None, artifact_id: str | None = None) -> str:
        """Register a non-snapshot artifact (a model, a review) with edges (parent_id, edge_kind) into it.

        ``artifact_id`` is a content id chosen by the caller (a model's: the hash of what made it); an
        artifact already registered under it is returned as it is, so registering the same work twice is a
        no-op. Without one, the id is drawn from the name, version and time.
        """
        with self.catalog.write_lock():  # the version read and its insert, with no other writer in between
            if artifact_id is not None and self.catalog.find(artifact_id) is not None:
                return artifact_id
            version = self.catalog.next_version(name)
            created_at = datetime.now(UTC).replace(tzinfo=None)
            artifact_id = artifact_id or row_id(artifact_type, name, version, created_at.isoformat())
            self.catalog.insert_artifact(artifact_id=artifact_id, name=name, version=version, kind=kind,
                                         artifact_type=artifact_type, path=str(path), code_version=__version__,
                                         created_at=created_at, metadata=metadata or {}, edges=edges or [])
        return artifact_id

    def add_edge(self, src_id: str, dst_id: str, kind: str, detail: dict[str, Any] | None = None) -> None:
        self.catalog.add_edge(src_id, dst_id, kind, detail)

    # -- reading ----------------------------------------------------------------
    def find(self, artifact_id: str) -> SnapshotInfo | None:
        return self.catalog.find(artifact_id)

    def resolve(self, ref: str) -> SnapshotInfo:
        """``name`` (latest version), ``name@vN``, or an artifact id -> its info."""
        by_id = self.find(ref)
        if by_id is not None:
            return by_id
        name, version = parse_ref(ref)
        info = self.catalog.find_version(name, version)
        if info is None:
            known = ", ".join(sorted({s.name for s in self.list()})) or "none yet"
            raise SnapshotNotFound(f"no snapshot {ref!r} in store {self.root} (snapshots: {known}); "
                                   "see `thinkset snapshots list`")
        return info

    def open(self, ref: str) -> Snapshot:
        info = self.resolve(ref)
        if info.kind not in KINDS:
            raise SnapshotNotFound(f"{ref!r} is a {info.kind} artifact, not a snapshot")
        if resolve_inside(self.root, info.path) is None:  # a catalog row or a symlink pointing elsewhere
            raise SnapshotNotFound(f"snapshot {info.ref} is listed at {info.path}, outside the store {self.root}; "
                                   "refusing to read it (run `thinkset store verify`)")
        return Snapshot(info)

    def list(self, name: str | None = None) -> list[SnapshotInfo]:
        return self.catalog.snapshots(name or None)

    def artifacts(self, artifact_type: str | None = None) -> list[dict[str, Any]]:
        return self.catalog.artifacts(artifact_type or None)

    def lineage(self, artifact_id: str) -> list[dict[str, Any]]:
        """All edges above ``artifact_id`` (its ancestry) and the edges out of it, with names and versions."""
        return self.catalog.lineage(artifact_id)

    def orphans(self) -> list[Path]:
        """Snapshot folders on disk that the catalog does not list (left by a crash before commit)."""
        listed = {s.path.resolve() for s in self.list()}
        found = [p for p in (self.root / "snapshots").glob("*/v*") if p.resolve() not in listed]
        return sorted(found + list((self.root / "tmp").glob("*")))
