"""`thinkset export`: hf / jsonl / parquet files, and the format registry."""

from __future__ import annotations

import json

import polars as pl
import pytest
from datasets import load_dataset
from typer.testing import CliRunner

from curation.cli import app
from curation.publish.export import EXPORTERS, ExporterUnavailable, export_formats, exporters
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


def test_a_declared_format_whose_extra_is_missing_names_the_extra(store, tmp_path, monkeypatch):
    """A package declares a format through the entry point group, but its module cannot be imported (its
    extra is not installed): the error says so and what to install, instead of "unknown format"."""
    dist = tmp_path / "site" / "thinkset_broken_plugin-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: thinkset-broken-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[thinkset.exporters]\nbroken = thinkset_missing_engine.exports:export_broken [bigextra]\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert "broken" in export_formats()  # declared: listed without importing it
    info = write_snapshot(store, "sft", good_frame(store, "sft"))
    result = export(store, info.ref, "broken", tmp_path / "x")
    assert result.exit_code == 2
    assert "thinkset_missing_engine" in result.output and "pip install 'thinkset[bigextra]'" in result.output
    with pytest.raises(ExporterUnavailable, match=r"format 'broken'.*No module named"):
        exporters()
