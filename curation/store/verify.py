"""`thinkset store verify`: every file a snapshot lists is there, whole and unchanged; nothing is unlisted.

Each listed snapshot's shards and rejection files are checked against its manifest (size and sha256; with
``quick``, presence and size only), every image a snapshot references against its content hash, and the disk
against the catalog: a catalog row without its folder, an unlisted snapshot folder, temp leftovers of a killed
run, an image no snapshot references. Each problem names its file and, when there is one, the snapshot.
A store URL is checked at the URL, against its manifest records (``curation.store.verify_remote``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from curation.store.inventory import (
    image_references,
    leftovers,
    listed_snapshots,
    stored_images,
)
from curation.store.snapshot import DATA_DIR, MANIFEST, REJECTIONS_DIR, SnapshotInfo, sha256_file
from curation.store.store import Store

PROBLEM_KINDS = ("missing", "truncated", "corrupt", "orphan", "catalog_row_without_files")


@dataclass(frozen=True)
class Problem:
    kind: str  # one of PROBLEM_KINDS
    path: str  # relative to the store root
    detail: str
    snapshot: str | None = None  # name@vN when the file belongs to (or is referenced by) one


@dataclass
class VerifyReport:
    quick: bool
    snapshots: int = 0
    files_checked: int = 0
    images_checked: int = 0
    in_progress: list[str] = field(default_factory=list)  # temp paths of runs still at work (not problems)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        return {kind: sum(p.kind == kind for p in self.problems) for kind in PROBLEM_KINDS}

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "quick": self.quick, "snapshots": self.snapshots,
                "files_checked": self.files_checked, "images_checked": self.images_checked,
                "counts": self.counts(), "in_progress": self.in_progress,
                "problems": [asdict(p) for p in self.problems]}


def verify_store(store: Store, quick: bool = False, grace_s: float | None = None) -> VerifyReport:
    """Check every listed snapshot, every referenced image and the disk against the catalog; a store URL: its
    objects against its manifest records (``curation.store.verify_remote``; ``grace_s`` is its grace period)."""
    if store.remote is not None:
        from curation.store.remote_inventory import GRACE_S
        from curation.store.verify_remote import verify_url

        return verify_url(store.remote.fs, quick=quick, grace_s=GRACE_S if grace_s is None else grace_s)
    report = VerifyReport(quick=quick)
    snapshots = listed_snapshots(store)
    report.snapshots = len(snapshots)
    for info in snapshots:
        _verify_snapshot(store, info, report)
    _verify_images(store, snapshots, report)
    found, busy = leftovers(store, snapshots)
    report.in_progress = [_rel(store, p) for p in busy]
    report.problems += [Problem("orphan", _rel(store, leftover.path), leftover.reason) for leftover in found]
    return report


def _rel(store: Store, path: Path) -> str:
    try:
        return path.relative_to(store.root).as_posix()
    except ValueError:
        return str(path)


def _verify_snapshot(store: Store, info: SnapshotInfo, report: VerifyReport) -> None:
    def problem(kind: str, path: Path, detail: str) -> None:
        report.problems.append(Problem(kind, _rel(store, path), detail, info.ref))

    if not info.path.is_dir():
        problem("catalog_row_without_files", info.path, "the catalog lists this snapshot but its folder is gone")
        return
    manifest_path = info.path / MANIFEST
    row = store.catalog.artifact(info.id) or {}
    committed = json.loads(row["manifest"]) if isinstance(row.get("manifest"), str) else row.get("manifest") or {}
    try:
        on_disk = json.loads(manifest_path.read_text())
    except FileNotFoundError:
        problem("missing", manifest_path, "the snapshot's manifest is gone (its files are checked against the "
                                          "catalog's copy)")
        on_disk = None
    except (OSError, ValueError) as exc:
        problem("corrupt", manifest_path, f"the manifest is not readable JSON ({exc})")
        on_disk = None
    if on_disk is not None and (on_disk.get("id") != info.id or any(
            on_disk.get(key) != committed.get(key) for key in ("shards", "rejections") if key in committed)):
        problem("corrupt", manifest_path, "the manifest differs from the catalog's copy of it")
    # The catalog's copy was committed with the snapshot: the reference, whatever happened to the file.
    manifest = committed if committed.get("shards") else on_disk or {}
    entries = list(manifest.get("shards", [])) + list(manifest.get("rejections", []))
    for entry in entries:
        report.files_checked += 1
        _verify_file(info.path / entry["file"], entry, quick=report.quick, problem=problem)
    listed = {(info.path / entry["file"]).resolve() for entry in entries}
    folders = [DATA_DIR, REJECTIONS_DIR] if "rejections" in manifest else [DATA_DIR]  # older manifests: data only
    for folder in folders:
        for path in sorted((info.path / folder).glob("*")):
            if path.resolve() not in listed:
                problem("orphan", path, "a file in the snapshot folder that its manifest does not list")


def _verify_file(path: Path, entry: dict[str, Any], *, quick: bool, problem: Any) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        problem("missing", path, "listed in the manifest, not on disk")
        return
    expected = entry.get("bytes")
    if expected is not None and size < expected:
        problem("truncated", path, f"{size} bytes, the manifest says {expected}")
        return
    if expected is not None and size > expected:
        problem("corrupt", path, f"{size} bytes, the manifest says {expected}")
        return
    if not quick and entry.get("sha256") and sha256_file(path) != entry["sha256"]:
        problem("corrupt", path, f"content hash differs from the manifest's {entry['sha256'][:12]}…")


def _verify_images(store: Store, snapshots: list[SnapshotInfo], report: VerifyReport) -> None:
    refs = image_references(store, snapshots)
    for sha, ref in sorted(refs.by_sha.items()):
        path = store.images.path(sha)
        report.images_checked += 1
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            report.problems.append(Problem("missing", _rel(store, path), "an image a snapshot references", ref))
            continue
        if size == 0:
            report.problems.append(Problem("truncated", _rel(store, path), "an empty image file", ref))
        elif not report.quick and sha256_file(path) != sha:
            report.problems.append(Problem("corrupt", _rel(store, path),
                                           "its content no longer hashes to its name", ref))
    if refs.unreadable:
        return  # which images those shards reference is unknown: calling any image unreferenced would be a guess
    for path in stored_images(store):
        if path.name not in refs.by_sha:
            report.problems.append(Problem("orphan", _rel(store, path), "an image no snapshot references"))
