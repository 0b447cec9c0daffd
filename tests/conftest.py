"""Shared fixtures: an empty store in a temp dir, row factories. No hub: HF_HUB_OFFLINE is set for all tests."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("THINKSET_QUIET", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import io  # noqa: E402

import polars as pl  # noqa: E402
import pytest  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from curation.schema import row_id  # noqa: E402
from curation.store import Store  # noqa: E402


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "store")


def png_bytes(seed: int, size: int = 32) -> bytes:
    """A small distinct PNG per seed."""
    image = Image.new("RGB", (size, size), (seed * 37 % 256, seed * 91 % 256, seed * 13 % 256))
    ImageDraw.Draw(image).rectangle([2, 2, 2 + seed % (size - 4), 10], fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def pool_frame(store: Store, n: int, *, with_images: bool = True, source: str = "synth_chart") -> pl.DataFrame:
    rows = []
    for i in range(n):
        image_ids = [store.images.put(png_bytes(i))] if with_images else []
        problem, answer = f"What is {i} + 1?", str(i + 1)
        rows.append({"id": row_id(source, problem, answer), "source": source, "problem": problem, "answer": answer,
                     "choices": [], "image_ids": image_ids, "metadata": "{}"})
    return pl.DataFrame(rows, schema={"id": pl.Utf8, "source": pl.Utf8, "problem": pl.Utf8, "answer": pl.Utf8,
                                      "choices": pl.List(pl.Utf8), "image_ids": pl.List(pl.Utf8), "metadata": pl.Utf8})


def rollouts_frame(responses: list[str], answer: str = "4", source: str = "synth_chart") -> pl.DataFrame:
    """Rollout rows for one problem, one row per response."""
    problem = "What is 2 + 2?"
    problem_id = row_id(source, problem, answer)
    return pl.DataFrame({
        "id": [row_id(problem_id, i) for i in range(len(responses))],
        "source": [source] * len(responses), "problem": [problem] * len(responses),
        "answer": [answer] * len(responses), "choices": [[] for _ in responses],
        "image_ids": [[] for _ in responses], "metadata": ["{}"] * len(responses),
        "problem_id": [problem_id] * len(responses), "sample_index": list(range(len(responses))),
        "model": ["teacher"] * len(responses), "response": responses,
    }, schema_overrides={"sample_index": pl.Int32, "choices": pl.List(pl.Utf8), "image_ids": pl.List(pl.Utf8)})


@pytest.fixture
def make_pool(store):
    def _make(n: int = 10, name: str = "pool-test", **kwargs):
        with store.writer(name, "pool", config={"test_pool": n, **kwargs}) as writer:
            writer.write(pool_frame(store, n, **kwargs))
        return writer.committed

    return _make
