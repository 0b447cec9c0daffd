"""mix: a seeded choice of problems by source (quotas, shares, total) before generation; every row of a
problem shares its decision, and every left-out problem says which limit it hit."""

from __future__ import annotations

import polars as pl
import pytest

from curation.rows import StageFailed
from curation.stages.order import seeded_order
from tests.conftest import pool_frame
from tests.filters.helpers import run_stage


def pool(store) -> pl.DataFrame:
    return pl.concat([pool_frame(store, 12, with_images=False, source="geometry"),
                      pool_frame(store, 8, with_images=False, source="chart").with_columns(
                          pl.col("id") + "-chart")])


def by_source(frame: pl.DataFrame) -> list[tuple[str, int]]:
    return frame.group_by("source").len().sort("source").rows()


def test_shares_quotas_and_total(store):
    frame = pool(store)
    kept, dropped = run_stage("mix", frame, store, shares={"geometry": 0.75})
    # 8 chart problems allow 32 at a 1/4 share, 12 geometry ones allow 16: 12 geometry + 4 chart
    assert by_source(kept) == [("chart", 4), ("geometry", 12)]
    assert set(dropped["_reason"]) == {"over_quota"}
    assert set(dropped["_detail"]) == {"source chart: the other sources' share 0.25 of 16 selected problems is full"}
    kept, dropped = run_stage("mix", frame, store, quotas={"geometry": 5}, max_problems=9)
    assert kept.height == 9 and kept.filter(pl.col("source") == "geometry").height <= 5
    assert dropped.filter(pl.col("_detail").str.starts_with("source geometry: quota of 5")).height == 7
    again, _ = run_stage("mix", frame, store, quotas={"geometry": 5}, max_problems=9)
    assert again["id"].to_list() == kept["id"].to_list()  # same seed: same choice, input order kept
    other, _ = run_stage("mix", frame, store, quotas={"geometry": 5}, max_problems=9, seed=1)
    assert other["id"].to_list() != kept["id"].to_list()


def test_rows_of_one_problem_share_the_decision(store):
    frame = pool(store).with_columns(pl.col("id").alias("problem_id"))
    rollouts = pl.concat([frame.with_columns((pl.col("id") + f"-{k}").alias("id")) for k in range(3)])
    kept, dropped = run_stage("mix", rollouts, store, max_problems=5)
    assert kept.height == 15 and kept["problem_id"].n_unique() == 5
    assert dropped.group_by("problem_id").len()["len"].to_list() == [3] * 15


def test_shares_naming_an_absent_source_fail_clearly(store):
    with pytest.raises(StageFailed, match=r"shares name sources \['geometry3k'\] that no row has \(sources: chart, "
                                          r"geometry\)"):
        run_stage("mix", pool(store), store, shares={"geometry3k": 0.3})


def test_the_choice_follows_the_shared_seeded_order(store):
    """mix, sample and review push rank problems with one order (curation.stages.order)."""
    frame = pool_frame(store, 12, with_images=False, source="geometry")
    kept, _ = run_stage("mix", frame, store, max_problems=5, seed=4)
    ranked = frame.with_columns(order=seeded_order(frame["id"], 4)).sort("order")["id"].to_list()
    assert sorted(kept["id"].to_list()) == sorted(ranked[:5])
