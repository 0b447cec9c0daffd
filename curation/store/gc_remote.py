"""`thinkset store gc` on a store URL: delete the objects no manifest record references.

Candidates are a killed writer's files under ``snapshots/`` (outside every record's prefix) and images no
record names. Nothing is a candidate while a record is unreadable (what it references is unknown), and an
object younger than the grace period is spared: a writer on another machine may be publishing it, and object
stores have no lock across machines. A dry run unless ``delete`` is set.
"""

from __future__ import annotations

from pathlib import Path

from curation.store.fs import StoreFS
from curation.store.gc import GcResult
from curation.store.inventory import Leftover
from curation.store.remote_inventory import GRACE_S, remote_inventory


def collect_url_garbage(fs: StoreFS, delete: bool = False, grace_s: float = GRACE_S) -> GcResult:
    """Find (and with ``delete``, remove) every object under the URL that no manifest record references.
    Paths in the result are keys relative to the URL."""
    inventory = remote_inventory(fs)
    found, busy = inventory.unreferenced(grace_s)
    result = GcResult(deleted=delete)
    if inventory.unreadable:
        result.spared.append("nothing collected: the manifest record(s) " + ", ".join(inventory.unreadable[:5])
                             + " cannot be read (see `thinkset store verify`)")
    if busy:
        result.spared.append(f"{len(busy)} unreferenced object(s) younger than {grace_s:.0f} s kept: a publish "
                             "may be under way")
    result.leftovers = [Leftover(Path(key), reason) for key, reason in found if key.startswith("snapshots/")]
    result.images = [Path(key) for key, _ in found if key.startswith("images/")]
    result.bytes = sum(inventory.objects[key].bytes for key, _ in found)
    if delete:
        for key, _ in found:
            fs.delete(key)
    return result
