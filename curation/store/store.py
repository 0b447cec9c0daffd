"""The store: snapshots on disk, images by hash, and the DuckDB catalog that lists them."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from curation import __version__
from curation.schema import row_id
from curation.store.catalog import Catalog
from curation.store.images import ImageStore
from curation.store.snapshot import Snapshot, SnapshotInfo
from curation.store.writer import SnapshotWriter

DEFAULT_STORE = "./thinkset-store"
_REF = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:@v?(?P<version>\d+))?$")


class SnapshotNotFound(LookupError):
    """A snapshot reference names nothing in the catalog."""


def default_store_path() -> Path:
    return Path(os.environ.get("THINKSET_STORE") or DEFAULT_STORE)


def parse_ref(ref: str) -> tuple[str, int | None]:
    """``name`` (latest), ``name@v3`` or ``name@3`` -> (name, version or None)."""
    match = _REF.match(ref.strip())
    if not match:
        raise SnapshotNotFound(f"{ref!r} is not a snapshot reference; write NAME or NAME@vN (e.g. sft-iter1@v2)")
    version = match.group("version")
    return match.group("name"), int(version) if version else None


class Store:
    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_store_path()
        self.root.mkdir(parents=True, exist_ok=True)
        self.images = ImageStore(self.root / "images")
        self.catalog = Catalog(self.root / "catalog.duckdb")

    # -- writing --------------------------------------------------------------
    def writer(self, name: str, kind: str, **kwargs: Any) -> SnapshotWriter:
        """A writer for the next version of ``name``; see ``SnapshotWriter``."""
        parse_ref(name)
        return SnapshotWriter(self, name, kind, **kwargs)

    def next_version(self, name: str) -> int:
        rows = self.catalog.query("SELECT coalesce(max(version), 0) AS v FROM artifacts WHERE name = ?", [name])
        return int(rows[0]["v"]) + 1

    def catalog_insert_snapshot(self, info: SnapshotInfo, manifest: dict[str, Any], writer: SnapshotWriter) -> None:
        funnel, reasons = writer.funnel_rows()
        rejection_glob = str(info.path / "rejections" / "*.parquet")
        has_rejections = any((info.path / "rejections").glob("*.parquet"))
        now = info.created_at
        with self.catalog.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(
                    "INSERT INTO artifacts VALUES (?, ?, ?, ?, 'snapshot', ?, ?, ?, ?, ?)",
                    [info.id, info.name, info.version, info.kind, self._relative(info.path), info.rows,
                     __version__, now, json.dumps(manifest, default=str)],
                )
                for parent in info.parents:
                    con.execute("INSERT INTO edges VALUES (?, ?, ?, ?, ?)",
                                [parent, info.id, writer.edge_kind, json.dumps(writer.edge_detail, default=str), now])
                for row in funnel:
                    con.execute("INSERT INTO funnel VALUES (?, ?, ?, ?, ?, ?, ?)",
                                [info.id, row["stage_index"], row["stage"], row["stage_type"], row["rows_in"],
                                 row["rows_out"], row["seconds"]])
                for row in reasons:
                    con.execute("INSERT INTO funnel_reasons VALUES (?, ?, ?, ?, ?)",
                                [info.id, row["stage_index"], row["stage"], row["reason"], row["rows"]])
                if has_rejections:
                    con.execute(
                        "INSERT INTO rejections SELECT ?, row_id, stage_index, stage, reason, detail "
                        "FROM read_parquet(?)", [info.id, rejection_glob])
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def register_artifact(self, *, name: str, kind: str, path: str | Path, artifact_type: str = "model",
                          metadata: dict[str, Any] | None = None,
                          edges: list[tuple[str, str]] | None = None) -> str:
        """Register a non-snapshot artifact (a model, a review) with edges (parent_id, edge_kind) into it."""
        version = self.next_version(name)
        created_at = datetime.now(UTC).replace(tzinfo=None)
        artifact_id = row_id(artifact_type, name, version, created_at.isoformat())
        with self.catalog.connect() as con:
            con.execute("BEGIN TRANSACTION")
            con.execute("INSERT INTO artifacts VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)",
                        [artifact_id, name, version, kind, artifact_type, str(path), __version__, created_at,
                         json.dumps(metadata or {}, default=str)])
            for parent, edge_kind in edges or []:
                con.execute("INSERT INTO edges VALUES (?, ?, ?, NULL, ?)", [parent, artifact_id, edge_kind, created_at])
            con.execute("COMMIT")
        return artifact_id

    def add_edge(self, src_id: str, dst_id: str, kind: str, detail: dict[str, Any] | None = None) -> None:
        now = datetime.now(UTC).replace(tzinfo=None)
        with self.catalog.connect() as con:
            con.execute("INSERT INTO edges VALUES (?, ?, ?, ?, ?)", [src_id, dst_id, kind, json.dumps(detail or {}), now])

    # -- reading ----------------------------------------------------------------
    def _relative(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def _info(self, row: dict[str, Any]) -> SnapshotInfo:
        parents = [r["src_id"] for r in self.catalog.query(
            "SELECT src_id FROM edges WHERE dst_id = ? ORDER BY src_id", [row["id"]])]
        path = Path(row["path"])
        return SnapshotInfo(id=row["id"], name=row["name"], version=row["version"], kind=row["kind"],
                            rows=row["rows"] or 0, path=path if path.is_absolute() else self.root / path,
                            created_at=row["created_at"], code_version=row["code_version"] or "", parents=parents)

    def find(self, artifact_id: str) -> SnapshotInfo | None:
        rows = self.catalog.query("SELECT * FROM artifacts WHERE id = ?", [artifact_id])
        return self._info(rows[0]) if rows else None

    def resolve(self, ref: str) -> SnapshotInfo:
        """``name`` (latest version), ``name@vN``, or an artifact id -> its info."""
        by_id = self.find(ref)
        if by_id is not None:
            return by_id
        name, version = parse_ref(ref)
        if version is None:
            rows = self.catalog.query("SELECT * FROM artifacts WHERE name = ? ORDER BY version DESC LIMIT 1", [name])
        else:
            rows = self.catalog.query("SELECT * FROM artifacts WHERE name = ? AND version = ?", [name, version])
        if not rows:
            known = ", ".join(sorted({s.name for s in self.list()})) or "none yet"
            raise SnapshotNotFound(f"no snapshot {ref!r} in store {self.root} (snapshots: {known}); "
                                   "see `thinkset snapshots list`")
        return self._info(rows[0])

    def open(self, ref: str) -> Snapshot:
        info = self.resolve(ref)
        if info.kind not in ("pool", "rollouts", "sft", "grpo"):
            raise SnapshotNotFound(f"{ref!r} is a {info.kind} artifact, not a snapshot")
        return Snapshot(info)

    def list(self, name: str | None = None) -> list[SnapshotInfo]:
        sql = "SELECT * FROM artifacts WHERE artifact_type = 'snapshot'"
        params: list[Any] = []
        if name:
            sql += " AND name = ?"
            params.append(name)
        return [self._info(r) for r in self.catalog.query(sql + " ORDER BY name, version", params)]

    def artifacts(self, artifact_type: str | None = None) -> list[dict[str, Any]]:
        sql, params = "SELECT * FROM artifacts", []
        if artifact_type:
            sql, params = sql + " WHERE artifact_type = ?", [artifact_type]
        return self.catalog.query(sql + " ORDER BY created_at", params)

    def lineage(self, artifact_id: str) -> list[dict[str, Any]]:
        """All edges above ``artifact_id`` (its ancestry) and the edges out of it, with names and versions."""
        sql = """
        WITH RECURSIVE up(src_id, dst_id, kind, depth) AS (
            SELECT src_id, dst_id, kind, 1 FROM edges WHERE dst_id = $1
            UNION
            SELECT e.src_id, e.dst_id, e.kind, up.depth + 1 FROM edges e JOIN up ON e.dst_id = up.src_id
            WHERE up.depth < 64
        )
        SELECT 'ancestor' AS direction, up.depth, up.kind, s.id AS src_id, s.name AS src_name,
               s.version AS src_version, s.kind AS src_kind, d.id AS dst_id, d.name AS dst_name,
               d.version AS dst_version, d.kind AS dst_kind
        FROM up JOIN artifacts s ON s.id = up.src_id JOIN artifacts d ON d.id = up.dst_id
        UNION ALL
        SELECT 'descendant', 1, e.kind, s.id, s.name, s.version, s.kind, d.id, d.name, d.version, d.kind
        FROM edges e JOIN artifacts s ON s.id = e.src_id JOIN artifacts d ON d.id = e.dst_id
        WHERE e.src_id = $1
        ORDER BY direction, depth
        """
        return self.catalog.query(sql, [artifact_id])

    def orphans(self) -> list[Path]:
        """Snapshot folders on disk that the catalog does not list (left by a crash before commit)."""
        listed = {s.path.resolve() for s in self.list()}
        found = [p for p in (self.root / "snapshots").glob("*/v*") if p.resolve() not in listed]
        return sorted(found + list((self.root / "tmp").glob("*")))
