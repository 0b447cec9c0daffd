"""The column profile of `thinkset publish`: what a trainer and a reader need by default, `all`, or a list."""

from __future__ import annotations

import json

import polars as pl
import pytest
import yaml
from datasets import load_dataset
from typer.testing import CliRunner

from curation.checks.runner import check_snapshot, record
from curation.cli import app
from curation.publish.columns import ColumnError
from curation.publish.publish import publish_snapshot
from tests.checks.factories import good_frame, write_snapshot

INTERNAL = ["dedup_key", "image_issue", "latency_s", "params"]


@pytest.fixture
def sft_with_internals(store):
    """A checked sft snapshot carrying score columns and the internal columns stages leave behind."""
    frame = good_frame(store, "sft").with_columns(
        pl.lit(9, dtype=pl.Int64).alias("word_count"), pl.lit("correct").alias("verdict"),
        pl.col("problem").str.to_lowercase().alias("dedup_key"), pl.lit(None, dtype=pl.Utf8).alias("image_issue"),
        pl.lit(0.25).alias("latency_s"), pl.lit('{"temperature": 0.01}').alias("params"))
    info = write_snapshot(store, "sft", frame, name="sft-cols")
    record(store, check_snapshot(store, store.open(info.ref)))
    return info, frame


def publish(store, ref, out, *extra):
    cli = CliRunner().invoke(app, ["publish", ref, "--repo", "org/x", "--dry-run", "--out", str(out), "--json",
                                   *extra, "--store", str(store.root)])
    return cli


def test_default_profile_keeps_what_a_trainer_needs_and_the_card_lists_the_rest(store, sft_with_internals,
                                                                                 tmp_path):
    info, frame = sft_with_internals
    cli = publish(store, info.ref, tmp_path / "hub")
    assert cli.exit_code == 0, cli.output
    summary = json.loads(cli.output)
    wanted = ["id", "source", "problem", "answer", "choices", "response", "word_count", "verdict", "images"]
    assert summary["columns"] == wanted
    assert summary["left_out"] == ["problem_id", "image_ids", *INTERNAL]
    loaded = load_dataset(str(tmp_path / "hub"), split="train", cache_dir=str(tmp_path / "cache"))
    assert loaded.column_names == wanted and loaded.num_rows == frame.height
    assert loaded[0]["response"] == frame["response"][0] and loaded[0]["images"][0].size[0] > 0
    card = (tmp_path / "hub" / "README.md").read_text()
    assert "Columns left out (column profile `default`" in card and "--columns all" in card
    for column in ["problem_id", "image_ids", *INTERNAL]:
        assert f"`{column}`" in card.split("Columns left out")[1].split("##")[0]
    features = [f["name"] for f in yaml.safe_load(card.split("---\n")[1])["dataset_info"]["features"]]
    assert features == wanted, "the front matter lists only the published columns"


def test_all_keeps_every_column(store, sft_with_internals, tmp_path):
    info, frame = sft_with_internals
    cli = publish(store, info.ref, tmp_path / "hub", "--columns", "all")
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output)["left_out"] == []
    loaded = load_dataset(str(tmp_path / "hub"), split="train", cache_dir=str(tmp_path / "cache"))
    assert loaded.column_names == [*frame.columns, "images"]
    assert "Every column of the snapshot is here" in (tmp_path / "hub" / "README.md").read_text()


def test_a_list_keeps_exactly_those_and_an_unknown_column_is_named(store, sft_with_internals, tmp_path):
    info, _ = sft_with_internals
    cli = publish(store, info.ref, tmp_path / "hub", "--columns", "id,problem,images")
    assert cli.exit_code == 0, cli.output
    loaded = load_dataset(str(tmp_path / "hub"), split="train", cache_dir=str(tmp_path / "cache"))
    assert loaded.column_names == ["id", "problem", "images"]
    bad = publish(store, info.ref, tmp_path / "bad", "--columns", "id,latency")
    assert bad.exit_code == 2 and "latency" in bad.output and "--columns all" in bad.output
    assert not (tmp_path / "bad" / "data").exists()
    with pytest.raises(ColumnError, match="no column named"):
        publish_snapshot(store, info.ref, "org/x", dry_run=True, out=tmp_path / "bad", columns=" , ")


def test_grpo_default_keeps_pass_rate(store, tmp_path):
    info = write_snapshot(store, "grpo", good_frame(store, "grpo"))
    record(store, check_snapshot(store, store.open(info.ref)))
    result = publish_snapshot(store, info.ref, "org/grpo", dry_run=True, out=tmp_path / "hub")
    assert result.columns == ["id", "source", "problem", "answer", "choices", "pass_rate", "images"]
    assert result.left_out == ["image_ids"]
