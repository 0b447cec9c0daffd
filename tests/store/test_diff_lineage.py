"""Snapshot diff by row id, lineage edges through the catalog."""

from __future__ import annotations

import polars as pl

from curation.store.diff import diff_snapshots
from tests.conftest import pool_frame


def test_diff_added_removed_changed(store):
    base = pool_frame(store, 6, with_images=False)
    with store.writer("d", "pool", config={"v": 1}) as w:
        w.write(base)
    changed = base.slice(1, 5).with_columns(
        pl.when(pl.col("answer") == "3").then(pl.lit("three")).otherwise(pl.col("answer")).alias("answer"))
    extra = pool_frame(store, 8, with_images=False).slice(6, 2)
    with store.writer("d", "pool", config={"v": 2}) as w:
        w.write(pl.concat([changed, extra]))
    result = diff_snapshots(store.open("d@v1"), store.open("d@v2"))
    assert result.removed == [base["id"][0]]
    assert sorted(result.added) == sorted(extra["id"].to_list())
    assert result.changed == [base.filter(pl.col("answer") == "3")["id"][0]]
    assert result.column_changes == {"answer": 1}


def test_diff_reports_new_score_columns(store):
    base = pool_frame(store, 3, with_images=False)
    with store.writer("e", "pool", config={"v": 1}) as w:
        w.write(base)
    with store.writer("e", "pool", config={"v": 2}) as w:
        w.write(base.with_columns(pl.lit(7).alias("word_count")))
    result = diff_snapshots(store.open("e@v1"), store.open("e@v2"))
    assert (result.added, result.removed, result.changed) == ([], [], [])
    assert result.columns_added == ["word_count"]


def test_lineage_walks_ancestors_and_children(store, make_pool):
    pool = make_pool(3)
    with store.writer("rollouts-x", "pool", parents=[pool.id], config={"s": 1}, edge_kind="generated_by",
                      edge_detail={"model": "teacher"}) as w:
        w.write(pool_frame(store, 3))
    rollouts = w.committed
    with store.writer("sft-x", "pool", parents=[rollouts.id], config={"s": 2}, edge_kind="filtered_from") as w:
        w.write(pool_frame(store, 2))
    sft = w.committed
    model_id = store.register_artifact(name="model-x", kind="model", path="/models/x", edges=[(sft.id, "trained_on")])
    up = store.lineage(sft.id)
    ancestors = [(e["src_name"], e["kind"], e["dst_name"], e["depth"]) for e in up if e["direction"] == "ancestor"]
    assert ancestors == [("rollouts-x", "filtered_from", "sft-x", 1), ("pool-test", "generated_by", "rollouts-x", 2)]
    children = [(e["kind"], e["dst_id"]) for e in up if e["direction"] == "descendant"]
    assert children == [("trained_on", model_id)]
    assert store.resolve("sft-x").parents == [rollouts.id]
