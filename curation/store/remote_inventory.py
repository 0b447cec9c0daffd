"""What a store URL holds against its manifest records: the one inventory `store verify` and `store gc` share
for a URL store (``curation.store.remote`` describes the layout).

A snapshot exists on the URL exactly when its manifest record does; the record names the prefix of its files
and the images its rows reference. Objects under ``snapshots/`` outside every record's prefix are what a writer
killed before its record left, and images no record names are unreferenced. A writer on another machine may be
uploading right now (its record comes last), so an unreferenced object younger than ``grace_s`` is counted as
work in progress, never as garbage: object stores have no lock that spans machines.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from curation.store.fs import StoreFS
from curation.store.remote import MANIFESTS, image_key
from curation.store.snapshot import MANIFEST

GRACE_S = 3600.0  # an unreferenced object younger than this may belong to a publish still under way


@dataclass(frozen=True)
class RemoteObject:
    key: str
    bytes: int
    modified: float | None  # epoch seconds; None when the filesystem does not say


@dataclass
class RemoteInventory:
    objects: dict[str, RemoteObject]
    records: list[dict[str, Any]] = field(default_factory=list)  # readable manifest records
    unreadable: list[str] = field(default_factory=list)  # record keys that are not a readable record

    def referenced_images(self) -> set[str]:
        return {sha for record in self.records for sha in record.get("images", [])}

    def unreferenced(self, grace_s: float, now: float | None = None) -> tuple[list[tuple[str, str]], list[str]]:
        """(key, reason) of every object no record references, and the keys of those young enough to belong to
        a publish under way (spared). Empty when a record is unreadable: what it references is unknown."""
        if self.unreadable:
            return [], []
        now = time.time() if now is None else now
        prefixes = tuple(record["prefix"] + "/" for record in self.records)
        images = {image_key(sha) for sha in self.referenced_images()}
        found: list[tuple[str, str]] = []
        busy: list[str] = []
        for key, obj in sorted(self.objects.items()):
            if key.startswith("snapshots/") and not key.startswith(prefixes):
                reason = "a snapshot file no manifest record lists (a writer killed before publishing its record)"
            elif key.startswith("images/") and key not in images:
                reason = "an image no manifest record references"
            else:
                continue
            if obj.modified is not None and now - obj.modified < grace_s:
                busy.append(key)
            else:
                found.append((key, reason))
        return found, busy


def remote_inventory(fs: StoreFS) -> RemoteInventory:
    """List every object under the URL and read every manifest record."""
    objects = {key: RemoteObject(key, size, modified) for key, (size, modified) in fs.sizes("").items()}
    inventory = RemoteInventory(objects=objects)
    for key in sorted(k for k in objects if k.startswith(MANIFESTS + "/") and k.endswith(".json")):
        try:
            record = json.loads(fs.get_bytes(key))
            if not isinstance(record, dict) or not isinstance(record.get("prefix"), str):
                raise ValueError("no prefix")
        except (OSError, ValueError):
            inventory.unreadable.append(key)
            continue
        record["record_key"] = key
        inventory.records.append(record)
    return inventory


def record_manifest(fs: StoreFS, record: dict[str, Any]) -> dict[str, Any]:
    """The snapshot manifest published under a record's prefix (raises FileNotFoundError / ValueError)."""
    manifest = json.loads(fs.get_bytes(f"{record['prefix']}/{MANIFEST}"))
    if not isinstance(manifest, dict):
        raise ValueError("not a JSON object")
    return manifest
