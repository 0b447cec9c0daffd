"""dedup, image and select on small realistic frames."""

from __future__ import annotations

import io

import polars as pl
from PIL import Image

from curation.schema import row_id
from tests.conftest import png_bytes, pool_frame, rollouts_frame
from tests.filters.helpers import run_stage


def test_exact_duplicates_keep_the_smallest_id(store):
    frame = pool_frame(store, 4, with_images=False).with_columns(
        problem=pl.Series(["What is 2+2?", "what  is 2+2?", "What is 3+3?", "WHAT IS 2+2?\n"]))
    kept, rejected = run_stage("dedup", frame, store)
    twos = frame.filter(pl.col("problem").str.to_lowercase().str.contains("2\\+2"))
    assert kept.height == 2 and twos["id"].min() in kept["id"].to_list()
    assert (rejected["duplicate_of"] == twos["id"].min()).all() and (rejected["_reason"] == "duplicate").all()


def test_identical_rows_sharing_their_content_id_keep_one(store):
    # a source that lists the same problem and picture twice: both rows get the same content id
    frame = pool_frame(store, 3)
    frame = pl.concat([frame, frame.head(1), frame.head(1)])
    kept, rejected = run_stage("dedup", frame, store)
    assert kept.height == 3 and kept["id"].n_unique() == 3
    assert rejected.height == 2 and (rejected["duplicate_of"] == frame["id"][0]).all()
    assert rejected["_detail"].str.starts_with("exact duplicate of").all()


def test_same_text_different_image_is_not_a_duplicate(store):
    frame = pool_frame(store, 2).with_columns(problem=pl.lit("How many bars are shown?"))
    kept, _ = run_stage("dedup", frame, store)
    assert kept.height == 2


def test_near_duplicates_cluster(store):
    base = "In the triangle ABC the angle at B is 40 degrees and AB equals BC. Find the angle at A in degrees."
    problems = [base, base.replace("Find", "Determine"), "A shop sells 12 apples for 3 dollars; what is the price of one?", base]
    frame = pool_frame(store, 4, with_images=False).with_columns(problem=pl.Series(problems))
    kept, rejected = run_stage("dedup", frame, store, near_threshold=0.6)
    assert kept.height == 2 and rejected.height == 2
    assert sorted(rejected["_detail"].str.split(" ").list.first()) == ["exact", "near"]
    kept, _ = run_stage("dedup", frame, store, near_threshold=0.99)
    assert kept.height == 3  # only the exact copy goes at a strict threshold


def _put(store, image: Image.Image, fmt: str = "PNG") -> str:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return store.images.put(buffer.getvalue())


def test_image_checks(store):
    good = store.images.put(png_bytes(3))
    blank = _put(store, Image.new("RGB", (64, 64), (255, 255, 255)))
    large = _put(store, Image.effect_noise((600, 600), 50))
    full = io.BytesIO()
    Image.effect_noise((64, 64), 40).save(full, format="JPEG")
    truncated = store.images.put(full.getvalue()[: len(full.getvalue()) // 2])
    garbage = store.images.put(b"not an image at all")
    bomb = _put(store, Image.new("1", (9000, 9000)))
    ids = [[good], [blank], [large], [truncated], [garbage], [bomb], ["0" * 64], []]
    frame = pool_frame(store, len(ids), with_images=False).with_columns(image_ids=pl.Series(ids))
    kept, rejected = run_stage("image", frame, store, bomb_pixels=50_000_000 // 2)
    issues = dict(zip(rejected["image_ids"].list.first(), rejected["image_issue"], strict=True))
    assert set(kept["image_ids"].list.first().to_list()) == {good, large, None}
    assert "blank" in issues[blank] and "undecodable" in issues[truncated] and "undecodable" in issues[garbage]
    assert "bomb" in issues[bomb] and "missing" in issues["0" * 64]
    assert kept.filter(pl.col("image_ids").list.first() == large)["image_scale"][0] < 1
    kept, rejected = run_stage("image", frame, store, resize="drop", require_image=True)
    assert kept["image_ids"].list.first().to_list() == [good]


def test_select_strategies(store):
    responses = ["<think>" + "w " * n + "</think><answer>4</answer>" for n in (30, 10, 20, 5)]
    frame = rollouts_frame(responses).with_columns(verdict=pl.Series(["correct", "correct", "correct", "wrong"]))
    other = rollouts_frame(["<think>x</think><answer>1</answer>"], answer="9").with_columns(
        verdict=pl.lit("wrong"), problem_id=pl.lit(row_id("other")))
    frame = pl.concat([frame, other])
    kept, rejected = run_stage("select", frame, store)
    assert kept["sample_index"].to_list() == [1]
    assert sorted(rejected["_reason"]) == ["not_correct", "not_correct", "not_selected", "not_selected"]
    kept, _ = run_stage("select", frame, store, strategy="first_correct")
    assert kept["sample_index"].to_list() == [0]
    kept, _ = run_stage("select", frame, store, strategy="all_correct")
    assert sorted(kept["sample_index"].to_list()) == [0, 1, 2]
