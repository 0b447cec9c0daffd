"""A store on object storage or a shared filesystem URL (``curation.store.fs``): publish and rebuild.

Layout under the URL::

    snapshots/<name>/<id>-<unique>/{data,rejections}/part-*.parquet, manifest.json   (written first)
    images/<sha[:2]>/<sha>                                                          (content-addressed)
    manifests/<name>/<id>.json                                                      (published last)

The commit needs no rename: a writer uploads every file under a prefix no other writer uses, then puts the
manifest record, which names the prefix and carries what the catalog records (version, lineage edge, funnel,
drop reasons). A snapshot exists on the URL exactly when its manifest record does; a writer killed before
that leaves unreferenced objects and nothing listed. The DuckDB catalog is a local file next to a read cache
(``fs.cache_dir_for``); ``rebuild_catalog`` makes it again on any machine from the manifest records.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from curation.store.commit import FunnelCount, ReasonCount, SnapshotCommit
from curation.store.fs import StoreFS
from curation.store.snapshot import DATA_DIR, MANIFEST, REJECTIONS_DIR

if TYPE_CHECKING:
    from curation.store.catalog import Catalog
    from curation.store.images import ImageStore

MANIFESTS = "manifests"


def manifest_key(name: str, snapshot_id: str) -> str:
    return f"{MANIFESTS}/{name}/{snapshot_id}.json"


def image_key(sha: str) -> str:
    return f"images/{sha[:2]}/{sha}"


def referenced_images(data_files: list[Path]) -> list[str]:
    if not data_files or "image_ids" not in pl.read_parquet_schema(data_files[0]):
        return []
    frame = pl.scan_parquet([str(f) for f in data_files]).select(pl.col("image_ids").explode().drop_nulls().unique())
    return sorted(frame.collect()["image_ids"].to_list())


class RemoteStore:
    """The URL side of a store: ``publish`` a committed snapshot, ``rebuild_catalog`` from what is there."""

    def __init__(self, fs: StoreFS) -> None:
        self.fs = fs

    def publish(self, commit: SnapshotCommit, images: ImageStore) -> None:
        """Upload ``commit``'s files under a unique prefix, its images, then its manifest record (last)."""
        record_key = manifest_key(commit.name, commit.id)
        if self.fs.exists([record_key])[0]:
            return  # the same content was published before (content ids name content)
        prefix = f"snapshots/{commit.name}/{commit.id}-{uuid.uuid4().hex[:8]}"
        for path in sorted(p for p in commit.path.rglob("*") if p.is_file()):
            self.fs.put_file(path, f"{prefix}/{path.relative_to(commit.path).as_posix()}")
        shas = referenced_images(sorted((commit.path / DATA_DIR).glob("*.parquet")))
        keys = [image_key(sha) for sha in shas]
        for sha, key, present in zip(shas, keys, self.fs.exists(keys), strict=True):
            if not present:
                self.fs.put_file(images.path(sha), key)
        record = {"prefix": prefix, "id": commit.id, "name": commit.name, "version": commit.version,
                  "kind": commit.kind, "rows": commit.rows, "created_at": commit.created_at.isoformat(),
                  "code_version": commit.code_version, "parents": list(commit.parents), "edge_kind": commit.edge_kind,
                  "edge_detail": json.loads(commit.edge_detail_json), "funnel": [asdict(f) for f in commit.funnel],
                  "reasons": [asdict(r) for r in commit.reasons], "images": shas}
        self.fs.put_bytes(record_key, json.dumps(record, indent=1).encode())

    def records(self) -> list[dict[str, Any]]:
        """Every published manifest record, oldest first (parents before children)."""
        records = [json.loads(self.fs.get_bytes(key)) for key in self.fs.list(MANIFESTS) if key.endswith(".json")]
        return sorted(records, key=lambda r: (r["created_at"], r["name"], r["version"]))

    def rebuild_catalog(self, root: Path, catalog: Catalog, images: ImageStore) -> list[str]:
        """List in ``catalog`` every published snapshot it lacks, fetching its files into ``root``; the ids
        added. Versions are the published ones unless the local catalog already gave that number away."""
        added = []
        for record in self.records():
            if catalog.find(record["id"]) is not None:
                continue
            version = record["version"]
            if catalog.find_version(record["name"], version) is not None:
                version = catalog.next_version(record["name"])
            final = root / "snapshots" / record["name"] / f"v{version}"
            for key in self.fs.list(record["prefix"]):
                target = final / key[len(record["prefix"]) + 1:]
                if not target.exists():
                    self.fs.get_file(key, target)
            for sha in record.get("images", []):
                if not images.exists(sha):
                    images.put(self.fs.get_bytes(image_key(sha)))
            manifest = json.loads((final / MANIFEST).read_text())
            manifest["version"] = version
            catalog.commit_snapshot(SnapshotCommit(
                id=record["id"], name=record["name"], version=version, kind=record["kind"], rows=record["rows"],
                path=final, created_at=datetime.fromisoformat(record["created_at"]),
                code_version=record["code_version"], manifest_json=json.dumps(manifest, default=str),
                parents=tuple(record["parents"]), edge_kind=record["edge_kind"],
                edge_detail_json=json.dumps(record["edge_detail"]),
                funnel=tuple(FunnelCount(**f) for f in record["funnel"]),
                reasons=tuple(ReasonCount(**r) for r in record["reasons"]),
                rejection_files=tuple(str(p) for p in sorted((final / REJECTIONS_DIR).glob("*.parquet")))))
            added.append(record["id"])
        return added
