"""A checked sft snapshot with real lineage: rollouts -> length filter (funnel, rejections) -> sft."""

from __future__ import annotations

import polars as pl
import pytest
import yaml

from curation.checks.runner import check_snapshot, record
from curation.pipeline import run_recipe
from curation.recipe import load_recipe
from tests.checks.factories import good_frame, trace, write_snapshot


@pytest.fixture
def lineage_sft(store, tmp_path):
    """(sft SnapshotInfo, rollouts frame): 12 rollouts, 3 too long for the length filter, the rest as sft."""
    rollouts = good_frame(store, "rollouts")
    long_rows = pl.Series([i in (1, 4, 7) for i in range(rollouts.height)])
    rollouts = rollouts.with_columns(
        pl.when(long_rows).then(pl.col("answer").map_elements(lambda a: trace(a, 700), return_dtype=pl.Utf8))
        .otherwise(pl.col("response")).alias("response"))
    write_snapshot(store, "rollouts", rollouts, name="rollouts-iter1")
    recipe = tmp_path / "filter.yaml"
    recipe.write_text(yaml.safe_dump({"name": "filter", "input": "rollouts-iter1", "output": "rollouts-short",
                                      "stages": [{"type": "length", "max_words": 500}]}))
    short = run_recipe(load_recipe(recipe), store).final
    sft = store.open(short.ref).read().select(
        pl.concat_str(pl.lit("sft-"), pl.col("id")).alias("id"), "problem_id", "source", "problem", "answer",
        "choices", "image_ids", "response")
    with store.writer("sft-iter1", "sft", parents=[short.id], config={"select": "shortest_correct"},
                      edge_kind="selected_with", edge_detail={"recipe": "select", "model": "teacher-7b"}) as writer:
        writer.write(sft)
    return writer.committed, rollouts


@pytest.fixture
def checked_sft(store, lineage_sft):
    info, _ = lineage_sft
    record(store, check_snapshot(store, store.open(info.ref)))
    return info
