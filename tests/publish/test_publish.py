"""Publish: the check gate, the dry-run Hub folder loaded back with `datasets`, and the card."""

from __future__ import annotations

import hashlib
import io

import polars as pl
import pytest
import yaml
from datasets import load_dataset
from PIL import Image
from typer.testing import CliRunner

from curation.checks.runner import check_snapshot, record
from curation.cli import app
from curation.publish.publish import PublishRefused, publish_snapshot
from tests.checks.factories import good_frame, write_snapshot
from tests.checks.test_suites import replace_row


def test_publish_refuses_unchecked_and_failed_snapshots(store, tmp_path):
    info = write_snapshot(store, "sft", replace_row(good_frame(store, "sft"), 0, answer=""))
    with pytest.raises(PublishRefused, match="never checked"):
        publish_snapshot(store, info.ref, "org/x", dry_run=True, out=tmp_path / "out")
    record(store, check_snapshot(store, store.open(info.ref)))
    cli = CliRunner().invoke(app, ["publish", info.ref, "--repo", "org/x", "--dry-run", "--out",
                                   str(tmp_path / "out"), "--store", str(store.root)])
    assert cli.exit_code == 2 and "failed (answer_not_empty)" in cli.output and "--force" in cli.output
    assert not (tmp_path / "out" / "data").exists(), "nothing is written for a refused snapshot"
    forced = publish_snapshot(store, info.ref, "org/x", dry_run=True, out=tmp_path / "out", force=True)
    card = forced.card.read_text()
    assert forced.forced and "published with `--force`" in card and "1 of 11 checks failed" in card


def test_dry_run_loads_back_row_for_row_with_images(store, checked_sft, tmp_path):
    out = tmp_path / "hub"
    cli = CliRunner().invoke(app, ["publish", checked_sft.ref, "--repo", "org/sft-iter1", "--dry-run", "--out",
                                   str(out), "--columns", "all", "--store", str(store.root)])
    assert cli.exit_code == 0, cli.output
    assert "README.md" in cli.output or (out / "README.md").exists()
    loaded = load_dataset(str(out), split="train", cache_dir=str(tmp_path / "cache"))
    expected = store.open(checked_sft.ref).read()
    assert loaded.num_rows == expected.height == checked_sft.rows
    assert set(loaded.column_names) == set(expected.columns) | {"images"}
    for row, want in zip(loaded, expected.iter_rows(named=True), strict=True):
        assert {k: row[k] for k in want} == want
        assert len(row["images"]) == len(want["image_ids"]) > 0
        for image, sha in zip(row["images"], want["image_ids"], strict=True):
            assert isinstance(image, Image.Image)
            original = Image.open(io.BytesIO(store.images.get(sha)))
            assert image.size == original.size and image.tobytes() == original.convert(image.mode).tobytes()
    raw = pl.read_parquet(next((out / "data").glob("train-00000-of-*.parquet")))
    first = raw["images"][0][0]["bytes"]
    assert hashlib.sha256(first).hexdigest() == expected["image_ids"][0][0], "image bytes are embedded unchanged"


def front_matter(card: str) -> dict:
    assert card.startswith("---\n")
    return yaml.safe_load(card.split("---\n")[1])


def test_card_has_real_numbers_lineage_figures_and_valid_yaml(store, checked_sft, lineage_sft, tmp_path):
    result = publish_snapshot(store, checked_sft.ref, "org/sft-iter1", dry_run=True, out=tmp_path / "hub")
    card = result.card.read_text()
    meta = front_matter(card)
    assert meta["configs"] == [{"config_name": "default", "data_files": [{"split": "train",
                                                                          "path": "data/train-*"}]}]
    assert meta["dataset_info"]["splits"] == [{"name": "train", "num_bytes": meta["dataset_info"]["dataset_size"],
                                              "num_examples": 9}]
    assert {"name": "images", "list": "image"} in meta["dataset_info"]["features"]
    assert meta["license"] and "visual-question-answering" in meta["task_categories"] and "sft" in meta["tags"]
    # lineage: both edges with their recipe/model detail; stage params of the filter
    assert "`rollouts-iter1@v1` (rollouts) | filtered_from | `rollouts-short@v1`" in card
    assert "selected_with | `sft-iter1@v1` (sft) | select | teacher-7b" in card
    assert "`length` (" in card and "max_words=500" in card
    # funnel numbers as the catalog has them: 12 in, 9 out, 3 too long
    funnel = store.catalog.query("SELECT rows_in, rows_out FROM funnel")
    assert funnel == [{"rows_in": 12, "rows_out": 9}]
    assert "| length | length | 12 | 9 | 3 | too_long=3 |" in card
    mix = store.open(checked_sft.ref).read()["source"].value_counts()
    for source, rows in mix.iter_rows():
        assert f"| {source} | {rows} | {100 * rows / 9:.1f}% |" in card
    assert "all 11 checks passed" in card and "| response_format | pass |" in card
    for name in ("funnel", "source_mix", "word_count"):
        png = tmp_path / "hub" / "figures" / f"{name}.png"
        assert f"(figures/{name}.png)" in card
        assert Image.open(png).format == "PNG" and Image.open(png).size[0] > 300
    assert "before: rollouts-iter1@v1 (12)" not in card  # labels are in the PNG, not the text
    assert "median" in card


def test_grpo_card_has_pass_rate_histogram(store, tmp_path):
    info = write_snapshot(store, "grpo", good_frame(store, "grpo"))
    record(store, check_snapshot(store, store.open(info.ref)))
    result = publish_snapshot(store, info.ref, "org/grpo", dry_run=True, out=tmp_path / "hub")
    assert "figures/pass_rate.png" in result.files and "(figures/pass_rate.png)" in result.card.read_text()
    assert "word_count.png" not in " ".join(result.files)
