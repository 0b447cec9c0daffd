"""Fixtures for the training layer: the tiny Qwen2.5-VL model (built once per session, no hub) and
stores holding a synthetic demo pool with sft and grpo snapshots made from it."""

from __future__ import annotations

import polars as pl
import pytest

from curation.schema import row_id
from curation.sources.pool import write_synthetic_pool
from curation.store import Store


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    from training.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))


def teacher_response(answer: str) -> str:
    """A curated trace in the paper's format; short so a tiny model overfits it in a few steps."""
    return f"<think>{answer}</think><answer>{answer}</answer>"


def write_sft(store: Store, pool_ref: str, name: str, *, answers: list[str] | None = None) -> str:
    """An sft snapshot (one trace per pool problem); ``answers`` replaces the pool's answers."""
    pool = store.open(pool_ref)
    frame = pool.read()
    if answers is not None:
        frame = frame.head(len(answers)).with_columns(answer=pl.Series(answers),
                                                      choices=pl.lit([], dtype=pl.List(pl.Utf8)))
    frame = frame.with_columns(
        problem_id=pl.col("id"),
        response=pl.col("answer").map_elements(teacher_response, return_dtype=pl.Utf8),
    ).with_columns(id=pl.struct("problem_id", "response").map_elements(
        lambda r: row_id(r["problem_id"], r["response"]), return_dtype=pl.Utf8))
    with store.writer(name, "sft", parents=[pool.info.id], config={"test_sft": name, "answers": answers}) as writer:
        writer.write(frame)
    return writer.committed.ref


def write_grpo(store: Store, sft_ref: str, name: str) -> str:
    """The grpo snapshot of an sft snapshot's problems, through the real to_grpo stage."""
    from curation.pipeline import run_recipe
    from curation.recipe import recipe_from_dict

    recipe = recipe_from_dict({"name": f"test-{name}", "input": sft_ref, "output": name,
                               "stages": [{"type": "to_grpo"}]}, where="test")
    return run_recipe(recipe, store).final.ref


@pytest.fixture
def demo_store(tmp_path) -> Store:
    """A store with the synthetic demo pool (charts, geometry, counting, tables) and an sft snapshot of it."""
    store = Store(tmp_path / "store")
    pool = write_synthetic_pool(store, n=8, seed=7, name="pool-demo")
    write_sft(store, pool.ref, "sft-demo")
    return store


@pytest.fixture
def overfit_store(tmp_path) -> Store:
    """Four demo problems whose answers are 2 or 3: a tiny model learns the format and some answers quickly."""
    store = Store(tmp_path / "store")
    pool = write_synthetic_pool(store, n=4, seed=3, name="pool-small")
    sft_ref = write_sft(store, pool.ref, "sft-small", answers=["2", "3", "2", "3"])
    write_grpo(store, sft_ref, "grpo-small")
    return store
