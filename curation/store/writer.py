"""Writing a snapshot atomically: shards into a temp dir, fsync, rename, then one catalog transaction.

A snapshot is listed only once all its files are durable and the catalog
transaction committed; a crash at any point before leaves no listed partial
snapshot (at worst an unlisted folder that `Store.orphans()` reports).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from curation import __version__
from curation.faults import faultpoint
from curation.rows import REJECTIONS_SCHEMA
from curation.schema import conform, validate_frame
from curation.store.catalog import Catalog
from curation.store.commit import FunnelCount, ReasonCount, SnapshotCommit
from curation.store.identity import content_id
from curation.store.images import ImageStore
from curation.store.remote import RemoteStore
from curation.store.snapshot import DATA_DIR, MANIFEST, REJECTIONS_DIR, SnapshotInfo, sha256_file


def _fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    for directory in [root, *[p for p in root.rglob("*") if p.is_dir()]]:
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _file_entry(path: Path, root: Path) -> dict[str, Any]:
    """A manifest entry: the file relative to the snapshot folder, its size and sha256 (``store verify``)."""
    return {"file": path.relative_to(root).as_posix(), "bytes": path.stat().st_size, "sha256": sha256_file(path)}


def temp_name(prefix: str) -> str:
    """A folder name under ``<store>/tmp`` that says which process owns it (``store gc`` spares live ones)."""
    return f"{prefix}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def before_catalog_commit(commit: SnapshotCommit) -> None:
    """Hook between the durable rename and the catalog transaction (tests inject crashes here)."""


MAX_RENAME_ATTEMPTS = 100  # versions skipped past folders left by crashed writers (or taken by a racing writer)
_TARGET_EXISTS = (errno.EEXIST, errno.ENOTEMPTY)


class SnapshotWriter:
    """Collects shards, rejections and funnel counts; ``commit()`` publishes them as ``name@vN``."""

    remote: RemoteStore | None = None  # a URL store: files published there before the catalog lists them

    def __init__(
        self,
        root: Path,
        catalog: Catalog,
        images: ImageStore,
        name: str,
        kind: str,
        *,
        parents: list[str] | None = None,
        config: Any = None,
        code: Any = None,
        edge_kind: str = "derived_from",
        edge_detail: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.root = Path(root)
        self.catalog = catalog
        self.images = images
        self.name = name
        self.kind = kind
        self.parents = list(parents or [])
        self.config = config if config is not None else {}
        self.edge_kind = edge_kind
        self.edge_detail = edge_detail or {}
        self.metadata = metadata or {}
        self.code = code
        self.id = content_id(name, self.parents, self.config, code)
        self.tmp = self.root / "tmp" / temp_name(name)
        (self.tmp / DATA_DIR).mkdir(parents=True)
        (self.tmp / REJECTIONS_DIR).mkdir()
        self._shards = 0
        self._rejection_shards = 0
        self._funnel: list[FunnelCount] = []
        self._reasons: list[ReasonCount] = []
        self.committed: SnapshotInfo | None = None

    # -- rows ---------------------------------------------------------------
    @property
    def shard_count(self) -> int:
        """Data shards written so far (a snapshot needs at least one, possibly empty)."""
        return self._shards

    def new_shard_path(self) -> Path:
        path = self.tmp / DATA_DIR / f"part-{self._shards:05d}.parquet"
        self._shards += 1
        return path

    def write(self, frame: pl.DataFrame) -> None:
        """Append ``frame`` as one shard (required columns first, cast to the kind's types)."""
        if frame.height == 0 and self._shards > 0:
            return
        validate_frame(frame, self.kind, where=f"snapshot {self.name}")
        conform(frame, self.kind).write_parquet(self.new_shard_path(), compression="zstd", statistics=True)
        faultpoint("writer.shard")

    def add_rejections(self, frame: pl.DataFrame) -> None:
        """Append dropped rows: columns ``row_id, stage_index, stage, reason, detail, row``."""
        if frame.height == 0:
            return
        frame = frame.select([pl.col(c).cast(t) for c, t in REJECTIONS_SCHEMA.items()])
        path = self.tmp / REJECTIONS_DIR / f"part-{self._rejection_shards:05d}.parquet"
        self._rejection_shards += 1
        frame.write_parquet(path, compression="zstd")
        faultpoint("writer.shard")

    def add_funnel(self, stage_index: int, stage: str, stage_type: str, rows_in: int, rows_out: int,
                   reasons: dict[str, int] | None = None, seconds: float | None = None) -> None:
        self._funnel.append(FunnelCount(stage_index, stage, stage_type, rows_in, rows_out, seconds))
        self._reasons.extend(ReasonCount(stage_index, stage, reason, rows) for reason, rows in (reasons or {}).items())

    # -- publishing ---------------------------------------------------------
    def commit(self) -> SnapshotInfo:
        """Make the files durable, then, under the store lock, move them into ``snapshots/<name>/v<N>`` and
        list them in one transaction (a writer that made the same snapshot meanwhile wins; this one is dropped)."""
        existing = self.catalog.find(self.id)
        if existing is not None:
            self.abort()
            self.committed = existing
            return existing
        if self._shards == 0:
            raise ValueError(f"snapshot {self.name!r} has no shard; write at least one (possibly empty) frame")
        shards = sorted((self.tmp / DATA_DIR).glob("*.parquet"))
        schema = pl.read_parquet_schema(shards[0])
        validate_frame(pl.DataFrame(schema=schema), self.kind, where=f"snapshot {self.name}")
        rows = sum(pl.scan_parquet(s).select(pl.len()).collect().item() for s in shards)
        created_at = datetime.now(UTC).replace(tzinfo=None)
        manifest = {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "rows": rows,
            "schema": {k: str(v) for k, v in schema.items()},
            "shards": [_file_entry(s, self.tmp) for s in shards],
            "rejections": [_file_entry(s, self.tmp) for s in sorted((self.tmp / REJECTIONS_DIR).glob("*.parquet"))],
            "parents": self.parents,
            "config": self.config,
            "code": self.code,
            "edge_kind": self.edge_kind,
            "code_version": __version__,
            "created_at": created_at.isoformat(),
            "metadata": self.metadata,
        }
        (self.tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str))
        _fsync_tree(self.tmp)
        self.images.flush()
        faultpoint("writer.before_rename")
        with self.catalog.write_lock():
            existing = self.catalog.find(self.id)
            if existing is not None:  # another process committed the same snapshot while this one ran
                self.abort()
                self.committed = existing
                return existing
            return self._publish(manifest, rows, created_at)

    def _publish(self, manifest: dict[str, Any], rows: int, created_at: datetime) -> SnapshotInfo:
        """Rename into place and list in the catalog; the caller holds the store lock."""
        version, final = self._rename_into_place()
        faultpoint("writer.publish")
        manifest["version"] = version
        commit = SnapshotCommit(
            id=self.id, name=self.name, version=version, kind=self.kind, rows=rows, path=final,
            created_at=created_at, code_version=__version__, manifest_json=json.dumps(manifest, default=str),
            parents=tuple(self.parents), edge_kind=self.edge_kind,
            edge_detail_json=json.dumps(self.edge_detail, default=str), funnel=tuple(self._funnel),
            reasons=tuple(self._reasons),
            rejection_files=tuple(str(p) for p in sorted((final / REJECTIONS_DIR).glob("*.parquet"))))
        if self.remote is not None:  # unique keys, manifest record last: no rename needed on object storage
            self.remote.publish(commit, self.images)
        before_catalog_commit(commit)
        self.catalog.commit_snapshot(commit)
        for path in final.rglob("*"):
            if path.is_file():
                path.chmod(0o444)
        self.committed = SnapshotInfo(id=self.id, name=self.name, version=version, kind=self.kind, rows=rows,
                                      path=final, created_at=created_at, code_version=__version__,
                                      parents=self.parents)
        return self.committed

    def _rename_into_place(self) -> tuple[int, Path]:
        """Rename the temp folder to the next version (under the store lock). A folder already there that the
        catalog does not list is a killed writer's and is set aside; any other "target exists" moves on."""
        base = self.root / "snapshots" / self.name
        base.mkdir(parents=True, exist_ok=True)
        version = self.catalog.next_version(self.name)
        for _ in range(MAX_RENAME_ATTEMPTS):
            final = base / f"v{version}"
            try:
                os.rename(self.tmp, final)  # fails if a (possibly orphaned) folder holds this version
            except OSError as exc:
                if exc.errno in _TARGET_EXISTS:
                    if final.is_dir() and self.catalog.find_version(self.name, version) is None:
                        # Unlisted while this writer holds the store lock: a killed writer's, never listed by
                        # anyone. Set aside (gc removes it) so that a re-run gets the version it would have had.
                        os.rename(final, self.root / "tmp" / f"unlisted-{self.name}-v{version}-{uuid.uuid4().hex[:8]}")
                        continue
                    version += 1
                    continue
                raise OSError(exc.errno, f"cannot move snapshot {self.name!r} from {self.tmp} into {final}: "
                              f"{exc.strerror}; check the store's disk and permissions, then run again "
                              f"(the temp folder is removed)") from exc
            fd = os.open(base, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            return version, final
        raise OSError(errno.EEXIST, f"cannot commit snapshot {self.name!r}: versions {version - MAX_RENAME_ATTEMPTS}"
                      f"..{version - 1} all have a folder under {base} that the catalog does not list; "
                      "see `Store.orphans()` and remove the orphaned folders")

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> SnapshotWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()
            return
        try:
            self.commit()
        except BaseException:
            self.abort()  # the temp folder only: a folder already renamed into place stays (an orphan)
            raise
