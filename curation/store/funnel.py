"""The funnel of a snapshot: rows in -> out per stage and per drop reason, from the root down."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from curation.store.lineage_query import DECONTAMINATED_AGAINST

if TYPE_CHECKING:
    from curation.store.store import Store


def funnel_rows(store: Store, ref: str) -> list[dict[str, Any]]:
    """The funnel of ``ref`` and of every snapshot above it, root first (query in sql/funnel.sql)."""
    info = store.resolve(ref)
    # the snapshots rows flowed through; an eval snapshot compared against (decontamination) is not one
    chain = [info.id] + [e["src_id"] for e in store.lineage(info.id)
                         if e["direction"] == "ancestor" and e["kind"] != DECONTAMINATED_AGAINST]
    rows: list[dict[str, Any]] = []
    for snapshot_id in reversed(list(dict.fromkeys(chain))):
        snapshot = store.find(snapshot_id)
        for row in store.catalog.funnel(snapshot_id):
            rows.append({"snapshot": snapshot.ref if snapshot else snapshot_id, **row})
    return rows
