"""`thinkset store verify` on a store URL: every object a manifest record lists is there, whole and unchanged.

Each record's snapshot manifest (under its prefix) lists the shards and rejection files with their sizes and
sha256; the objects are checked against it (``quick``: presence and sizes from the listing, nothing read), every
image a record names against its content hash, and the listing against the records: an object no record
references is an orphan, unless it is younger than the grace period (a publish under way on another machine).
"""

from __future__ import annotations

from typing import Any

from curation.store.fs import StoreFS
from curation.store.remote import image_key
from curation.store.remote_inventory import GRACE_S, RemoteInventory, record_manifest, remote_inventory
from curation.store.snapshot import MANIFEST
from curation.store.verify import Problem, VerifyReport


def verify_url(fs: StoreFS, quick: bool = False, grace_s: float = GRACE_S) -> VerifyReport:
    """Check every manifest record's files and images on the URL, and the URL's objects against the records."""
    report = VerifyReport(quick=quick)
    inventory = remote_inventory(fs)
    report.snapshots = len(inventory.records)
    report.problems += [Problem("corrupt", key, "a manifest record that is not readable JSON naming a prefix "
                                               "(what it references is unknown: no orphan is named)")
                        for key in inventory.unreadable]
    for record in inventory.records:
        _verify_record(fs, inventory, record, report)
    _verify_images(fs, inventory, report)
    found, busy = inventory.unreferenced(grace_s)
    report.in_progress = busy
    report.problems += [Problem("orphan", key, reason) for key, reason in found]
    return report


def _verify_record(fs: StoreFS, inventory: RemoteInventory, record: dict[str, Any], report: VerifyReport) -> None:
    ref = f"{record.get('name')}@v{record.get('version')}"
    prefix = record["prefix"]
    manifest_key = f"{prefix}/{MANIFEST}"
    if manifest_key not in inventory.objects:
        report.problems.append(Problem("missing", manifest_key, f"the manifest record {record['record_key']} "
                                                                "names this prefix; its manifest is gone", ref))
        return
    try:
        manifest = record_manifest(fs, record)
    except (OSError, ValueError) as exc:
        report.problems.append(Problem("corrupt", manifest_key, f"the manifest is not readable JSON ({exc})", ref))
        return
    if manifest.get("id") != record.get("id"):
        report.problems.append(Problem("corrupt", manifest_key, f"the manifest's id is not the record's "
                                                                f"{str(record.get('id'))[:12]}…", ref))
    entries = list(manifest.get("shards", [])) + list(manifest.get("rejections", []))
    listed = {manifest_key} | {f"{prefix}/{entry['file']}" for entry in entries}
    for entry in entries:
        report.files_checked += 1
        _verify_object(fs, inventory, f"{prefix}/{entry['file']}", entry.get("bytes"), entry.get("sha256"),
                       report, ref)
    for key in sorted(k for k in inventory.objects if k.startswith(prefix + "/") and k not in listed):
        report.problems.append(Problem("orphan", key, "an object under the snapshot's prefix that its manifest "
                                                      "does not list", ref))


def _verify_images(fs: StoreFS, inventory: RemoteInventory, report: VerifyReport) -> None:
    named: dict[str, str] = {}
    for record in inventory.records:
        for sha in record.get("images", []):
            named.setdefault(sha, f"{record.get('name')}@v{record.get('version')}")
    for sha, ref in sorted(named.items()):
        report.images_checked += 1
        key = image_key(sha)
        obj = inventory.objects.get(key)
        if obj is None:
            report.problems.append(Problem("missing", key, "an image a manifest record references", ref))
        elif obj.bytes == 0:
            report.problems.append(Problem("truncated", key, "an empty image object", ref))
        elif not report.quick and fs.sha256(key) != sha:
            report.problems.append(Problem("corrupt", key, "its content no longer hashes to its name", ref))


def _verify_object(fs: StoreFS, inventory: RemoteInventory, key: str, expected: int | None, sha256: str | None,
                   report: VerifyReport, ref: str) -> None:
    obj = inventory.objects.get(key)
    if obj is None:
        report.problems.append(Problem("missing", key, "listed in the manifest, not at the URL", ref))
    elif expected is not None and obj.bytes < expected:
        report.problems.append(Problem("truncated", key, f"{obj.bytes} bytes, the manifest says {expected}", ref))
    elif expected is not None and obj.bytes > expected:
        report.problems.append(Problem("corrupt", key, f"{obj.bytes} bytes, the manifest says {expected}", ref))
    elif not report.quick and sha256 and fs.sha256(key) != sha256:
        report.problems.append(Problem("corrupt", key, f"content hash differs from the manifest's {sha256[:12]}…",
                                       ref))
