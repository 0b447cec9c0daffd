"""`thinkset export`: hf / jsonl / parquet files, and the format registry."""

from __future__ import annotations

import json

import polars as pl
from datasets import load_dataset
from typer.testing import CliRunner

from curation.cli import app
from curation.publish.export import EXPORTERS, exporters
from tests.checks.factories import good_frame, write_snapshot


def export(store, ref, fmt, out):
    return CliRunner().invoke(app, ["export", ref, "--format", fmt, "--out", str(out), "--store", str(store.root)])


def test_jsonl_and_parquet_keep_rows_and_write_images(store, tmp_path):
    info = write_snapshot(store, "grpo", good_frame(store, "grpo"))
    expected = store.open(info.ref).read()
    for fmt in ("jsonl", "parquet"):
        result = export(store, info.ref, fmt, tmp_path / fmt)
        assert result.exit_code == 0, result.output
        data = tmp_path / fmt / f"grpo-test-v1.{fmt}"
        rows = ([json.loads(line) for line in data.read_text().splitlines()] if fmt == "jsonl"
                else pl.read_parquet(data).to_dicts())
        assert [r["id"] for r in rows] == expected["id"].to_list()
        assert [r["pass_rate"] for r in rows] == expected["pass_rate"].to_list()
        for row in rows:
            [path] = row["images"]
            assert (tmp_path / fmt / path).read_bytes() == store.images.get(row["image_ids"][0])


def test_hf_export_loads_without_the_check_gate(store, tmp_path):
    info = write_snapshot(store, "sft", good_frame(store, "sft"))
    result = export(store, info.ref, "hf", tmp_path / "hf")
    assert result.exit_code == 0, result.output
    loaded = load_dataset(str(tmp_path / "hf"), split="train", cache_dir=str(tmp_path / "cache"))
    assert loaded.num_rows == info.rows and "never run" in (tmp_path / "hf" / "README.md").read_text()


def test_unknown_format_lists_the_known_ones(store, tmp_path):
    info = write_snapshot(store, "sft", good_frame(store, "sft"))
    result = export(store, info.ref, "csv", tmp_path / "x")
    assert result.exit_code == 2 and "unknown export format 'csv'" in result.output and "jsonl" in result.output
    assert {"hf", "jsonl", "parquet"} <= set(exporters()) and set(EXPORTERS) == {"hf", "jsonl", "parquet"}
