"""A trained model's id is a content id, and a seeded CPU run is reproducible: two fresh stores that train
the same tiny SFT and GRPO steps get the same model ids and the same weights."""

from __future__ import annotations

import shutil

import polars as pl
import pytest

from curation.store import Store
from curation.store.snapshot import sha256_file
from tests.training.conftest import write_grpo, write_sft
from training.grpo import train_grpo
from training.identity import base_identity, model_id
from training.sft import train_sft


def fresh_store(root) -> Store:
    from curation.sources.pool import write_synthetic_pool

    store = Store(root / "store")
    pool = write_synthetic_pool(store, n=4, seed=3, name="pool-small")
    write_grpo(store, write_sft(store, pool.ref, "sft-small", answers=["2", "3", "2", "3"]), "grpo-small")
    return store


def train_both(root, base) -> tuple[Store, list[tuple[str, str]]]:
    """SFT then GRPO from it in a fresh store under ``root``; (model id, weights sha256) of each."""
    store = fresh_store(root)
    sft = train_sft("sft-small", base=str(base), output_dir=root / "sft", preset="tiny", store=store,
                    overrides=["max_steps=4", "learning_rate=2e-2"])
    grpo = train_grpo("grpo-small", base=str(sft.output_dir), output_dir=root / "grpo", preset="tiny", store=store,
                      overrides=["max_steps=2"])
    return store, [(r.artifact_id, sha256_file(r.output_dir / "model.safetensors")) for r in (sft, grpo)]


@pytest.mark.slow
def test_two_fresh_stores_train_the_same_models(tmp_path, tiny_model_dir):
    other_base = shutil.copytree(tiny_model_dir, tmp_path / "elsewhere" / "tiny")  # same files, another path
    store, first = train_both(tmp_path / "one", tiny_model_dir)
    _, second = train_both(tmp_path / "two", other_base)

    assert first == second  # same ids and the same bytes of weights, SFT and GRPO
    assert first[0][0] != first[1][0]
    assert [a["id"] for a in store.artifacts("model")] and len(store.artifacts("model")) == 2
    grpo = store.catalog.model_artifact(artifact_id=first[1][0])
    # registering the same work again is a no-op: the same id, no second version
    again = store.register_artifact(name=grpo["name"], kind="model", path=grpo["path"], artifact_id=grpo["id"])
    assert again == grpo["id"]
    assert len(store.artifacts("model")) == 2


def test_the_id_is_what_made_the_model_not_where_or_when(tmp_path, tiny_model_dir):
    one, two = fresh_store(tmp_path / "one"), fresh_store(tmp_path / "two")
    snapshot = one.resolve("sft-small").id
    assert snapshot == two.resolve("sft-small").id
    preset = {"seed": 42, "learning_rate": 1e-5}

    def made(store: Store, **change) -> str:
        args = {"name": "m", "base": str(tiny_model_dir), "snapshot_id": snapshot, "preset": preset, **change}
        return model_id(store=store, **args)

    assert made(one) == made(two)
    assert made(one, preset={**preset, "seed": 43}) != made(one)
    assert made(one, preset={**preset, "learning_rate": 2e-5}) != made(one)
    assert made(one, snapshot_id=one.resolve("grpo-small").id) != made(one)
    assert made(one, base="Qwen/Qwen2.5-VL-7B-Instruct") != made(one)
    # a base registered in the store is identified by its catalog id
    registered = one.register_artifact(name="base", kind="model", path=tiny_model_dir.resolve(), artifact_id="b" * 20)
    assert base_identity(one, str(tiny_model_dir)) == f"artifact:{registered}"
    assert base_identity(two, str(tiny_model_dir)).startswith("files:")


def test_a_sampled_eval_of_a_registered_model_is_the_same_in_two_stores(tmp_path, tiny_model_dir):
    """The eval's key and its requests' sampling seeds name a registered model by its catalog id, not by its
    folder, which differs between stores: the same eval id and the same responses."""
    from training.eval import run_eval

    results = []
    for place in ("one", "two"):
        store = fresh_store(tmp_path / place)
        folder = shutil.copytree(tiny_model_dir, store.root / "models" / "tiny")
        store.register_artifact(name="tiny", kind="model", path=folder.resolve(), artifact_id="c" * 20)
        result = run_eval(store, str(folder), "sft-small", backend="transformers", k=2, limit=2,
                          sampling="sampling", max_new_tokens=8)
        rows = pl.read_parquet(result.rows_path)
        results.append((result.artifact_id, result.model, rows["response"].to_list()))
    assert results[0] == results[1]
    assert len(set(results[0][2])) > 1  # sampled, not one greedy answer repeated
