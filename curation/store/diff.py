"""Rows added, removed and changed between two snapshots, matched by row id."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from curation.store.snapshot import Snapshot


@dataclass
class SnapshotDiff:
    added: list[str]
    removed: list[str]
    changed: list[str]
    column_changes: dict[str, int] = field(default_factory=dict)  # column -> rows whose value changed
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)

    def to_json(self, limit: int = 50) -> dict:
        return {
            "added": len(self.added), "removed": len(self.removed), "changed": len(self.changed),
            "added_ids": self.added[:limit], "removed_ids": self.removed[:limit], "changed_ids": self.changed[:limit],
            "column_changes": self.column_changes, "columns_added": self.columns_added,
            "columns_removed": self.columns_removed,
        }


def diff_snapshots(a: Snapshot, b: Snapshot) -> SnapshotDiff:
    left, right = a.scan(), b.scan()
    left_cols, right_cols = left.collect_schema().names(), right.collect_schema().names()
    common = [c for c in left_cols if c in right_cols and c != "id"]
    ids_a = left.select("id")
    ids_b = right.select("id")
    added = ids_b.join(ids_a, on="id", how="anti").collect()["id"].sort().to_list()
    removed = ids_a.join(ids_b, on="id", how="anti").collect()["id"].sort().to_list()
    joined = left.select(["id", *common]).join(right.select(["id", *common]), on="id", how="inner", suffix="__b")
    flags = joined.select(
        "id", *[pl.col(c).ne_missing(pl.col(f"{c}__b")).alias(c) for c in common]).collect()
    column_changes = {c: int(flags[c].sum()) for c in common if flags[c].sum()}
    changed_mask = pl.any_horizontal([pl.col(c) for c in common]) if common else pl.lit(False)
    changed = flags.filter(changed_mask)["id"].sort().to_list()
    return SnapshotDiff(added=added, removed=removed, changed=changed, column_changes=column_changes,
                        columns_added=[c for c in right_cols if c not in left_cols],
                        columns_removed=[c for c in left_cols if c not in right_cols])
