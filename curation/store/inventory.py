"""What a store holds on disk against what its catalog lists: the one inventory `store verify` and `store gc`
share (referenced images, unlisted folders, crash leftovers, work in progress)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from curation.store.lock import pid_alive
from curation.store.snapshot import DATA_DIR, REJECTIONS_DIR, SnapshotInfo
from curation.store.store import Store

_SHA256 = r"[0-9a-f]{64}"
_TEMP_PID = re.compile(r"-(\d+)-[0-9a-f]{8}$")  # curation.store.writer.temp_name
_IMAGE_TEMP_PID = re.compile(rf"^\.{_SHA256}\.(\d+)\.tmp$")  # curation.store.images.ImageStore.put


@dataclass(frozen=True)
class Leftover:
    """A path nothing lists: an unlisted snapshot folder, a temp folder or file left by a crash."""

    path: Path
    reason: str


@dataclass
class ImageReferences:
    """Image hashes the listed snapshots reference (rows and rejected rows), and by which snapshot first."""

    by_sha: dict[str, str] = field(default_factory=dict)  # sha -> snapshot ref
    unreadable: list[Path] = field(default_factory=list)  # shards whose references could not be read


def owner_pid(path: Path) -> int | None:
    """The pid that owns a temp folder or image temp file, from its name (None: not a name thinkset makes)."""
    match = _TEMP_PID.search(path.name) or _IMAGE_TEMP_PID.match(path.name)
    return int(match.group(1)) if match else None


def in_progress(path: Path) -> bool:
    """A temp path whose owning process still runs on this host (a run at work, not a leftover)."""
    pid = owner_pid(path)
    return pid is not None and pid_alive(pid)


def listed_snapshots(store: Store) -> list[SnapshotInfo]:
    return store.list()


def image_references(store: Store, snapshots: list[SnapshotInfo]) -> ImageReferences:
    """Every image hash the snapshots' data shards (``image_ids``) and rejected rows (any sha256 in the row's
    JSON) reference; a shard that cannot be read is listed in ``unreadable``, never silently skipped."""
    refs = ImageReferences()
    for info in snapshots:
        for file in sorted((info.path / DATA_DIR).glob("*.parquet")) + sorted(
                (info.path / REJECTIONS_DIR).glob("*.parquet")):
            try:
                frame = pl.scan_parquet(file)
                if file.parent.name == DATA_DIR:
                    if "image_ids" not in frame.collect_schema():
                        continue
                    shas = frame.select(pl.col("image_ids").explode().drop_nulls().unique()).collect()
                else:
                    shas = frame.select(pl.col("row").str.extract_all(_SHA256).explode().drop_nulls()
                                        .unique()).collect()
            except Exception:  # noqa: BLE001 - a corrupt shard: `store verify` names it; gc must not guess
                refs.unreadable.append(file)
                continue
            for sha in shas.to_series().to_list():
                refs.by_sha.setdefault(sha, info.ref)
    return refs


def stored_images(store: Store) -> list[Path]:
    """Image files under ``images/<sha[:2]>/`` (named by their sha256), temp files excluded."""
    return sorted(p for p in store.images.root.glob("*/*") if p.is_file() and re.fullmatch(_SHA256, p.name))


def leftovers(store: Store, snapshots: list[SnapshotInfo]) -> tuple[list[Leftover], list[Path]]:
    """Crash leftovers, and temp paths of runs still at work (spared by gc, not counted as problems)."""
    listed = {info.path.resolve() for info in snapshots}
    found: list[Leftover] = []
    busy: list[Path] = []
    for folder in sorted((store.root / "snapshots").glob("*/*")):
        if folder.resolve() not in listed:
            found.append(Leftover(folder, "snapshot folder the catalog does not list (a run killed while "
                                          "publishing it)"))
    for path in sorted((store.root / "tmp").glob("*")):
        if in_progress(path):
            busy.append(path)
        elif path.name.startswith("unlisted-"):
            found.append(Leftover(path, "an unlisted snapshot folder a later commit set aside (a killed run's)"))
        else:
            found.append(Leftover(path, "temp folder of a run that is no longer running"))
    for path in sorted(store.images.root.glob("*/.*.tmp")):
        if in_progress(path):
            busy.append(path)
        else:
            found.append(Leftover(path, "partial image write of a run that is no longer running"))
    return found, busy
