"""The pipeline: streaming batches, checkpoints, funnel, rejections, idempotent re-runs, global stages."""

from __future__ import annotations

import json

import polars as pl
import yaml
from typer.testing import CliRunner

from curation.cli import app
from curation.pipeline import run_recipe
from curation.recipe import load_recipe
from curation.rows import decide
from curation.stages.base import Stage, StageParams
from curation.stages.registry import register_stage
from tests.conftest import rollouts_frame


@register_stage
class KeepOddSampleIndex(Stage):
    """A global test stage: sees all rows at once, drops even sample indexes."""

    type = "test_keep_odd"
    scope = "global"
    Params = StageParams

    def process(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        return frame.with_columns(decide(pl.col("sample_index") % 2 == 1, "even_index", pl.lit("even")))


def words(n: int) -> str:
    return "<think>" + " ".join(["step"] * n) + "</think> done <answer>4</answer>"


def make_rollouts(store, lengths: list[int]):
    with store.writer("rollouts-t", "rollouts", config={"lengths": lengths}) as w:
        w.write(rollouts_frame([words(n) for n in lengths]))
    return w.committed


def recipe_file(tmp_path, stages, **top) -> str:
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump({"name": "t", "input": "rollouts-t", "output": "sft-t", "stages": stages, **top}))
    return str(path)


def test_funnel_and_rejections_add_up(store, tmp_path):
    lengths = [5, 600, 20, 700, 1, 30, 40, 900]
    make_rollouts(store, lengths)
    path = recipe_file(tmp_path, [{"type": "length", "max_words": 500, "min_words": 4}], batch_rows=3)
    result = run_recipe(load_recipe(path), store)
    snap = store.open(result.final.ref)
    kept = snap.read()
    rejected = snap.rejections().collect()
    assert kept.height + rejected.height == len(lengths)
    assert sorted(rejected["reason"].to_list()) == ["too_long"] * 3 + ["too_short"]
    assert len(snap.files) >= 2, "batches of 3 rows are written as separate shards"
    assert (kept["word_count"] <= 500).all() and "word_count" in kept.columns
    dropped_row = json.loads(rejected.filter(pl.col("reason") == "too_short")["row"][0])
    assert dropped_row["response"] == words(1), "the whole dropped row is kept"
    funnel = store.catalog.query("SELECT * FROM funnel WHERE snapshot_id = ?", [snap.info.id])
    assert [(f["rows_in"], f["rows_out"]) for f in funnel] == [(8, 4)]


def test_checkpoints_write_intermediate_snapshots_and_reruns_are_noops(store, tmp_path):
    make_rollouts(store, [5, 600, 20, 30, 40, 50])
    stages = [{"type": "length", "max_words": 500, "output": "rollouts-short"}, {"type": "test_keep_odd"}]
    path = recipe_file(tmp_path, stages)
    first = run_recipe(load_recipe(path), store)
    assert [s.name for s in first.snapshots] == ["rollouts-short", "sft-t"]
    short, final = first.snapshots
    assert short.rows == 5 and final.rows == 2
    assert store.resolve("sft-t").parents == [short.id]
    again = run_recipe(load_recipe(path), store)
    assert again.snapshots == [] and [s.id for s in again.reused] == [short.id, final.id]
    assert len(store.list()) == 3
    changed = recipe_file(tmp_path, [{"type": "length", "max_words": 25, "output": "rollouts-short"},
                                     {"type": "test_keep_odd"}])
    third = run_recipe(load_recipe(changed), store)
    assert [s.ref for s in third.snapshots] == ["rollouts-short@v2", "sft-t@v2"]


def test_stage_order_in_funnel_and_cli(store, tmp_path):
    make_rollouts(store, [5, 600, 20, 30, 40, 50])
    path = recipe_file(tmp_path, [{"type": "length", "max_words": 500}, {"type": "test_keep_odd"}])
    result = CliRunner().invoke(app, ["run", path, "--store", str(store.root)])
    assert result.exit_code == 0, result.output
    assert "wrote sft-t@v1" in result.output
    out = CliRunner().invoke(app, ["funnel", "sft-t", "--store", str(store.root), "--json"])
    rows = json.loads(out.output)
    assert [(r["stage"], r["rows_in"], r["rows_out"], r["reasons"]) for r in rows] == [
        ("length", 6, 5, "too_long=1"), ("test_keep_odd", 5, 2, "even_index=3")]


def test_empty_result_is_still_a_valid_snapshot(store, tmp_path):
    make_rollouts(store, [600, 700])
    result = run_recipe(load_recipe(recipe_file(tmp_path, [{"type": "length"}])), store)
    snap = store.open(result.final.ref)
    assert snap.info.rows == 0 and snap.read().columns[:1] == ["id"]


@register_stage
class SilentlyDropsHalf(Stage):
    """A badly written test stage: drops rows without marking them."""

    type = "test_silent_drop"
    Params = StageParams

    def process_batch(self, batch: pl.DataFrame) -> pl.DataFrame:
        return batch.head(batch.height // 2)


def test_rows_lost_without_a_reason_fail_the_run(store, tmp_path):
    import pytest

    from curation.rows import StageFailed

    make_rollouts(store, [5, 6, 7, 8])
    with pytest.raises(StageFailed, match=r"'test_silent_drop' \(test_silent_drop\) lost 2 of 4 rows without a reason"):
        run_recipe(load_recipe(recipe_file(tmp_path, [{"type": "test_silent_drop"}])), store)
    assert [s.name for s in store.list()] == ["rollouts-t"]
