"""`thinkset store gc`: remove what no snapshot lists (crash leftovers, temp folders, unreferenced images).

A dry run unless ``delete`` is set. The plan is made and carried out under the store lock, so no commit can
list a folder while it is being removed; temp paths of runs still at work are spared, and so is every image
touched since the plan began (a run reusing it), and every image when a snapshot's references cannot be read.
Nothing a listed snapshot references is ever a candidate. A store URL is collected at the URL
(``curation.store.gc_remote``).
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curation.store.inventory import (
    Leftover,
    image_references,
    leftovers,
    listed_snapshots,
    stored_images,
)
from curation.store.store import Store


@dataclass
class GcResult:
    deleted: bool  # False: a dry run
    leftovers: list[Leftover] = field(default_factory=list)
    images: list[Path] = field(default_factory=list)  # unreferenced image files
    bytes: int = 0
    spared: list[str] = field(default_factory=list)  # why something that looked like garbage was kept

    def to_json(self, root: Path) -> dict[str, Any]:
        def rel(path: Path) -> str:
            return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)

        return {"dry_run": not self.deleted, "removed" if self.deleted else "would_remove":
                [{"path": rel(x.path), "reason": x.reason} for x in self.leftovers]
                + [{"path": rel(p), "reason": "an image no snapshot references"} for p in self.images],
                "leftovers": len(self.leftovers), "unreferenced_images": len(self.images), "bytes": self.bytes,
                "spared": self.spared}


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def collect_garbage(store: Store, delete: bool = False, grace_s: float | None = None) -> GcResult:
    """Find (and with ``delete``, remove) every path no listed snapshot needs; a store URL: every object no
    manifest record references (``curation.store.gc_remote``; ``grace_s`` is its grace period)."""
    if store.remote is not None:
        from curation.store.gc_remote import collect_url_garbage
        from curation.store.remote_inventory import GRACE_S

        with store.catalog.write_lock():  # this machine's writers; other machines are what the grace is for
            return collect_url_garbage(store.remote.fs, delete, GRACE_S if grace_s is None else grace_s)
    started = time.time()
    with store.catalog.write_lock():
        snapshots = listed_snapshots(store)
        found, busy = leftovers(store, snapshots)
        result = GcResult(deleted=delete, leftovers=found)
        if busy:
            result.spared.append(f"{len(busy)} temp path(s) of runs still at work; unreferenced images kept "
                                 "while a run may be about to list them")
        refs = image_references(store, snapshots)
        if refs.unreadable:
            result.spared.append("unreferenced images kept: the references of "
                                 + ", ".join(str(p) for p in refs.unreadable[:5])
                                 + " cannot be read (see `thinkset store verify`)")
        elif not busy:
            result.images = [p for p in stored_images(store) if p.name not in refs.by_sha]
        result.bytes = sum(_size(x.path) for x in result.leftovers) + sum(_size(p) for p in result.images)
        if delete:
            _remove(result, started)
    return result


def _remove(result: GcResult, started: float) -> None:
    for leftover in result.leftovers:
        if leftover.path.is_dir():
            _make_writable(leftover.path)
            shutil.rmtree(leftover.path)
        else:
            leftover.path.unlink(missing_ok=True)
    kept = []
    for path in result.images:
        if path.stat().st_mtime >= started:  # a run reused it after the plan began
            result.spared.append(f"{path.name}: reused by a run during gc")
            continue
        path.unlink(missing_ok=True)
        kept.append(path)
    result.images = kept


def _make_writable(folder: Path) -> None:
    """Committed files are read-only; an unlisted copy of them is still garbage."""
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir():
            os.chmod(path, 0o755)
