"""Snapshot -> TRL rows: conversational messages/prompt with image blocks, images sized like the processor."""

from __future__ import annotations

import io

import polars as pl
import pytest
from PIL import Image

from training.data import (
    DEFAULT_INSTRUCTION,
    TrainingDataError,
    fit_image,
    grpo_records,
    question_text,
    sft_records,
    trainer_dataset,
)
from training.loading import load_processor


def test_question_text_letters_choices_then_instruction():
    text = question_text("Which is largest?", ["3", "5"], "Answer.")
    assert text == "Which is largest?\nChoices:\n(A) 3\n(B) 5\nAnswer."
    assert question_text("Q?", [], "") == "Q?"


def test_sft_rows_pair_question_and_curated_response(demo_store):
    snapshot = demo_store.open("sft-demo")
    frame = snapshot.read()
    rows = list(sft_records(snapshot, demo_store, min_pixels=784, max_pixels=12544))
    assert len(rows) == frame.height
    by_id = {r["id"]: r for r in frame.iter_rows(named=True)}
    for row in rows:
        source = by_id[row["id"]]
        user, assistant = row["messages"]
        assert [b["type"] for b in user["content"]] == ["image"] * len(source["image_ids"]) + ["text"]
        assert user["content"][-1]["text"].startswith(source["problem"].strip())
        assert user["content"][-1]["text"].endswith(DEFAULT_INSTRUCTION)
        assert assistant == {"role": "assistant", "content": [{"type": "text", "text": source["response"]}]}
        assert len(row["images"]) == len(source["image_ids"])


def test_images_are_resized_like_the_processor_so_its_resize_is_a_no_op(demo_store, tiny_model_dir):
    processor = load_processor(tiny_model_dir, max_pixels=12544, min_pixels=784)
    snapshot = demo_store.open("sft-demo")
    for row in sft_records(snapshot, demo_store, min_pixels=784, max_pixels=12544, limit=3):
        image = Image.open(io.BytesIO(row["images"][0]["bytes"]))
        assert image.width % 28 == 0 and image.height % 28 == 0 and image.width * image.height <= 12544
        grid = processor.image_processor(images=[image], return_tensors="pt")["image_grid_thw"][0].tolist()
        assert grid == [1, image.height // 14, image.width // 14]
    big = Image.new("RGB", (2000, 1000))
    fitted = fit_image(big, min_pixels=3136, max_pixels=262144)
    assert fitted.width * fitted.height <= 262144 and fitted.width / fitted.height == pytest.approx(2, rel=0.1)


def test_grpo_rows_carry_solution_and_choices(overfit_store):
    snapshot = overfit_store.open("grpo-small")
    frame = snapshot.read()
    rows = list(grpo_records(snapshot, overfit_store))
    assert [r["solution"] for r in rows] == frame["answer"].to_list()
    assert all(r["answer"] == r["solution"] for r in rows)
    assert all(r["prompt"][0]["role"] == "user" and r["prompt"][0]["content"][0]["type"] == "image" for r in rows)


def test_dataset_has_trl_columns_and_decodes_images(overfit_store):
    sft = trainer_dataset(overfit_store.open("sft-small"), overfit_store, "sft", max_pixels=12544, min_pixels=784)
    assert {"messages", "images"} <= set(sft.column_names)
    assert isinstance(sft[0]["images"][0], Image.Image)
    grpo = trainer_dataset(overfit_store.open("grpo-small"), overfit_store, "grpo")
    assert {"prompt", "images", "solution", "answer", "choices"} <= set(grpo.column_names)


def test_wrong_kind_and_missing_image_are_explained(overfit_store):
    with pytest.raises(TrainingDataError, match="grpo-small@v1.*'grpo'"):
        list(sft_records(overfit_store.open("grpo-small"), overfit_store))
    pool = overfit_store.open("pool-small")
    frame = pool.read().with_columns(image_ids=pl.lit(["0" * 64], dtype=pl.List(pl.Utf8)),
                                     pass_rate=pl.lit(None, dtype=pl.Float64))
    with overfit_store.writer("grpo-broken", "grpo", config={"broken": True}) as writer:
        writer.write(frame)
    with pytest.raises(TrainingDataError, match="row .* image 0{64} is missing"):
        list(grpo_records(overfit_store.open("grpo-broken"), overfit_store))
