"""decontaminate: training rows that overlap an eval snapshot (exact or near text, identical or resized/
re-encoded image) are dropped with reason ``contaminated`` and the eval row they matched; the rest stay.
Runs as a recipe, so the lineage edge and ``decontamination_status`` are checked on a real catalog."""

from __future__ import annotations

import io
import random

import polars as pl
import pytest
from PIL import Image, ImageDraw

from curation.filters.decontaminate import EDGE_KIND
from curation.pipeline import run_recipe
from curation.recipe import recipe_from_dict
from curation.rows import StageFailed
from curation.store.funnel import funnel_rows
from curation.store.lineage_query import decontamination_status

EVAL_PROBLEMS = [
    "In triangle ABC, angle A is 50 degrees and angle B is 60 degrees. What is the measure of angle C?",
    "The bar chart shows sales for four quarters of the year. Which quarter had the highest sales in total?",
    "How many red blocks are stacked on the left side of the green table in the picture?",
    "What is the perimeter of the rectangle shown in the figure above, in centimeters?",
]


def picture(seed: int, size: int = 96) -> Image.Image:
    """A busy image (random coloured rectangles): its perceptual hash is informative."""
    rng = random.Random(seed)
    image = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(size), rng.randrange(size)
        draw.rectangle([x, y, x + rng.randrange(10, 40), y + rng.randrange(10, 40)],
                       fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    return image


def put(store, image: Image.Image, fmt: str = "PNG", **save) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save)
    return store.images.put(buffer.getvalue())


def write_pool(store, name: str, rows: list[tuple[str, str, str]]) -> None:
    """rows: (id, problem, image sha)."""
    frame = pl.DataFrame({
        "id": [r[0] for r in rows], "source": ["s"] * len(rows), "problem": [r[1] for r in rows],
        "answer": ["1"] * len(rows), "choices": [[] for _ in rows], "image_ids": [[r[2]] for r in rows],
        "metadata": ["{}"] * len(rows)}, schema_overrides={"choices": pl.List(pl.Utf8)})
    with store.writer(name, "pool", config={"rows": rows}) as writer:
        writer.write(frame)


@pytest.fixture
def overlap(store):
    write_pool(store, "eval", [(f"e{i}", text, put(store, picture(i))) for i, text in enumerate(EVAL_PROBLEMS)])
    train = [
        ("t-text-exact", "  in TRIANGLE abc, angle A is 50 degrees and angle B is 60 degrees.\n What is the "
                         "measure of angle C? ", put(store, picture(10))),
        ("t-text-near", "The bar chart shows the sales for four quarters of the year. Which quarter had the "
                        "highest sales in total?", put(store, picture(11))),
        ("t-image-exact", "Count the blocks and report how many of them are blue.", put(store, picture(2))),
        ("t-image-resized", "Describe the colours of the largest shape.",
         put(store, picture(3).resize((72, 72)), "JPEG", quality=70)),
        ("t-clean-1", "What is the area of a circle with radius 3?", put(store, picture(20))),
        ("t-clean-2", "Which quarter had the lowest rainfall according to the line plot?", put(store, picture(21))),
        ("t-clean-3", "How many triangles can you see in the figure?", put(store, picture(22))),
    ]
    write_pool(store, "train", train)
    return store


def decontaminate(store, output: str = "clean", input_ref: str = "train", **params):
    recipe = recipe_from_dict({"name": f"decon-{output}", "input": input_ref, "output": output, "stages": [
        {"type": "decontaminate", "against": ["eval"], **params}]}, where="test")
    return run_recipe(recipe, store).final


def test_drops_exact_near_and_resized_overlaps_and_keeps_the_rest(overlap):
    store = overlap
    info = decontaminate(store)
    snapshot = store.open(info.ref)
    assert sorted(snapshot.read()["id"]) == ["t-clean-1", "t-clean-2", "t-clean-3"]
    assert snapshot.read()["contamination"].is_null().all()
    rejected = {r["row_id"]: r for r in snapshot.rejections().collect().iter_rows(named=True)}
    assert {k: r["reason"] for k, r in rejected.items()} == {
        "t-text-exact": "contaminated", "t-text-near": "contaminated", "t-image-exact": "contaminated",
        "t-image-resized": "contaminated"}
    assert rejected["t-text-exact"]["detail"] == "text_exact: row e0 of eval snapshot eval@v1"
    assert rejected["t-text-near"]["detail"].startswith("text_near (jaccard 0.")
    assert rejected["t-text-near"]["detail"].endswith(": row e1 of eval snapshot eval@v1")
    assert rejected["t-image-exact"]["detail"] == "image_exact: row e2 of eval snapshot eval@v1"
    assert rejected["t-image-resized"]["detail"].startswith("image_near (dHash distance ")
    assert rejected["t-image-resized"]["detail"].endswith("): row e3 of eval snapshot eval@v1")
    assert '"contaminated_by":"eval@v1:e1"' in rejected["t-text-near"]["row"]


def test_each_test_can_be_turned_off(overlap):
    store = overlap
    exact_only = decontaminate(store, "exact-only", near_threshold=None, image_distance=None)
    assert sorted(store.open(exact_only.ref).read()["id"]) == [
        "t-clean-1", "t-clean-2", "t-clean-3", "t-image-resized", "t-text-near"]
    images_only = decontaminate(store, "images-only", text=False)
    assert "t-text-exact" in set(store.open(images_only.ref).read()["id"])
    texts_only = decontaminate(store, "texts-only", images=False)
    assert {"t-image-exact", "t-image-resized"} <= set(store.open(texts_only.ref).read()["id"])


def test_lineage_edge_and_decontamination_status(overlap):
    store = overlap
    info = decontaminate(store)
    evaluation = store.resolve("eval")
    edges = store.catalog.query("SELECT src_id, kind FROM edges WHERE dst_id = ?", [info.id])
    assert (evaluation.id, EDGE_KIND) in {(e["src_id"], e["kind"]) for e in edges}
    # the eval snapshot shows in the lineage, but its own funnel is not part of the training data's funnel
    assert EDGE_KIND in {e["kind"] for e in store.lineage(info.id)}
    assert {r["snapshot"] for r in funnel_rows(store, info.ref)} == {"clean@v1"}

    assert decontamination_status(store, info.ref, "eval").decontaminated
    # a run killed between the snapshot's commit and its edges: the committed edge detail still says so
    with store.catalog.connect() as con:
        con.execute("DELETE FROM edges WHERE kind = ?", [EDGE_KIND])
    assert decontamination_status(store, info.ref, "eval").decontaminated
    raw = decontamination_status(store, "train", "eval")
    assert not raw.decontaminated and raw.missing == ["train@v1"]
    assert "not decontaminated against eval@v1" in raw.message

    model = store.register_artifact(name="model-a", kind="model", path="/tmp/model-a",
                                    edges=[(info.id, "trained_on")])
    assert decontamination_status(store, model, "eval@v1").decontaminated
    # a model fine-tuned from it on raw data is not clean any more
    mixed = store.register_artifact(name="model-b", kind="model", path="/tmp/model-b",
                                    edges=[(store.resolve("train").id, "trained_on"), (model, "fine_tuned_from")])
    status = decontamination_status(store, mixed, "eval")
    assert not status.decontaminated and status.covered == ["clean@v1"] and status.missing == ["train@v1"]

    # a new version of the eval split: the old decontamination does not cover it, and says so
    write_pool(store, "eval", [("e9", "A brand new question about the pie chart slices?", put(store, picture(9)))])
    newer = decontamination_status(store, info.ref, "eval")
    assert newer.eval_snapshot == "eval@v2" and not newer.decontaminated
    assert newer.other_versions == ["eval@v1"]


def test_new_eval_version_makes_a_new_snapshot_and_missing_eval_is_named(overlap):
    store = overlap
    first = decontaminate(store)
    assert decontaminate(store).id == first.id  # same input, same eval: reused
    write_pool(store, "eval", [("e9", "A brand new question about the pie chart slices?", put(store, picture(9)))])
    second = decontaminate(store)
    assert second.id != first.id and second.version == 2
    assert sorted(store.open(second.ref).read()["id"]) == sorted(store.open("train").read()["id"])
    recipe = recipe_from_dict({"name": "missing", "input": "train", "output": "x", "stages": [
        {"type": "decontaminate", "against": ["mathvista-testmini"]}]}, where="test")
    with pytest.raises(StageFailed, match="against: no snapshot 'mathvista-testmini'"):
        run_recipe(recipe, store)
