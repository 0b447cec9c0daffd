"""Exports read back the way LLaMA-Factory, EasyR1 and TRL read them.

LLaMA-Factory and EasyR1 are not installed here (they pin their own torch); the checks follow their
loaders: LLaMA-Factory reads dataset_info.json, loads the file with `datasets` ("json"), maps columns and
tags, requires as many `<image>` placeholders as images and resolves image paths against the dataset
folder; EasyR1 loads a parquet file with `datasets`, reads `problem`/`answer`/`images` and splits the
prompt on `<image>`.
"""

from __future__ import annotations

import json

import pytest
from datasets import load_dataset
from PIL import Image

from training.data import TrainingDataError
from training.exports import export_for_trainer


def test_llamafactory_sharegpt_layout(demo_store, tmp_path):
    snapshot = demo_store.open("sft-demo")
    summary = export_for_trainer(snapshot, demo_store, "llamafactory", tmp_path / "lf")
    info = json.loads((tmp_path / "lf" / "dataset_info.json").read_text())
    entry = info[summary["dataset"]]
    assert entry["formatting"] == "sharegpt" and entry["columns"] == {"messages": "messages", "images": "images"}
    rows = load_dataset("json", data_files=str(tmp_path / "lf" / entry["file_name"]), split="train")
    assert len(rows) == snapshot.info.rows == summary["rows"]
    source = {r["id"]: r for r in snapshot.read().iter_rows(named=True)}
    tags = entry["tags"]
    for row in rows:
        user, assistant = row[entry["columns"]["messages"]]
        assert (user[tags["role_tag"]], assistant[tags["role_tag"]]) == (tags["user_tag"], tags["assistant_tag"])
        images = row[entry["columns"]["images"]]
        assert user[tags["content_tag"]].count("<image>") == len(images) == len(source[row["id"]]["image_ids"])
        assert assistant[tags["content_tag"]] == source[row["id"]]["response"]
        for path in images:
            Image.open(tmp_path / "lf" / path).verify()


def test_llamafactory_refuses_prompts_without_responses(overfit_store, tmp_path):
    with pytest.raises(TrainingDataError, match="use --format easyr1"):
        export_for_trainer(overfit_store.open("grpo-small"), overfit_store, "llamafactory", tmp_path)


def test_easyr1_problem_answer_images(overfit_store, tmp_path):
    snapshot = overfit_store.open("grpo-small")
    export_for_trainer(snapshot, overfit_store, "easyr1", tmp_path / "r1")
    rows = load_dataset("parquet", data_files=str(tmp_path / "r1" / "train.parquet"), split="train")
    expected = {r["id"]: r for r in snapshot.read().iter_rows(named=True)}
    assert len(rows) == len(expected)
    for row in rows:
        source = expected[row["id"]]
        assert row["answer"] == source["answer"]
        assert row["problem"].count("<image>") == len(row["images"]) == len(source["image_ids"])
        assert row["problem"].split("<image>")[-1].startswith(source["problem"].strip())
        assert isinstance(row["images"][0], Image.Image)
        assert row["images"][0].tobytes() == overfit_store.images.open(source["image_ids"][0]).tobytes()


def test_trl_parquet_is_the_trainer_dataset(overfit_store, tmp_path):
    export_for_trainer(overfit_store.open("sft-small"), overfit_store, "trl", tmp_path / "sft", max_pixels=12544,
                       min_pixels=784)
    sft = load_dataset("parquet", data_files=str(tmp_path / "sft" / "train.parquet"), split="train")
    assert sft[0]["messages"][1]["content"][0]["text"].startswith("<think>")
    assert isinstance(sft[0]["images"][0], Image.Image) and sft[0]["images"][0].width % 28 == 0
    summary = export_for_trainer(overfit_store.open("grpo-small"), overfit_store, "trl", tmp_path / "grpo")
    grpo = load_dataset("parquet", data_files=str(tmp_path / "grpo" / "train.parquet"), split="train")
    assert summary["mode"] == "grpo" and grpo["solution"] == ["2", "3", "2", "3"]


def test_trainer_formats_plug_into_thinkset_export(overfit_store, tmp_path):
    from curation.publish.export import export_snapshot, exporters

    assert {"llamafactory", "easyr1", "trl"} <= set(exporters())
    summary = export_snapshot(overfit_store.open("sft-small"), overfit_store, "llamafactory", tmp_path / "lf")
    assert summary["format"] == "llamafactory" and summary["rows"] == 4


def test_the_declared_entry_points_are_the_trainer_formats():
    from curation.publish.export import get_exporter, plugin_exporters
    from training.exports import EXPORT_FORMATS

    declared = plugin_exporters()
    assert set(declared) == set(EXPORT_FORMATS)
    assert all(declared[name].extras == ["train"] and get_exporter(name) is fn for name, fn in EXPORT_FORMATS.items())
