"""sample: n rows in a seeded, stable order; offsets give disjoint slices; the rest dropped with a reason."""

from __future__ import annotations

import pytest

from curation.pipeline import run_recipe
from curation.recipe import recipe_from_dict
from curation.stages.order import seeded_order


def sample(store, input_ref: str, output: str, **params):
    recipe = recipe_from_dict({"name": f"sample-{output}", "input": input_ref, "output": output,
                               "stages": [{"type": "sample", **params}]}, where="test")
    return run_recipe(recipe, store).final


def test_offsets_take_disjoint_slices_of_one_seeded_order(store, make_pool):
    pool = make_pool(20)
    first = store.open(sample(store, pool.ref, "s-a", n=6, seed=3).ref).read()["id"].to_list()
    second = store.open(sample(store, pool.ref, "s-b", n=6, seed=3, offset=6).ref).read()["id"].to_list()
    assert len(first) == len(second) == 6 and not set(first) & set(second)
    ids = store.open(pool.ref).read()["id"]
    ranked = ids.to_frame().with_columns(order=seeded_order(ids, 3)).sort("order")["id"].to_list()
    assert set(first) == set(ranked[:6]) and set(second) == set(ranked[6:12])


def test_same_seed_same_rows_other_seed_other_rows_and_drops_have_a_reason(store, make_pool):
    pool = make_pool(20)
    info = sample(store, pool.ref, "s-c", n=5, seed=1)
    again = store.open(sample(store, pool.ref, "s-d", n=5, seed=1).ref).read()["id"].to_list()
    other = store.open(sample(store, pool.ref, "s-e", n=5, seed=2).ref).read()["id"].to_list()
    kept = store.open(info.ref).read()["id"].to_list()
    assert sorted(kept) == sorted(again) and sorted(kept) != sorted(other)
    reasons = store.open(info.ref).rejections().collect()["reason"].to_list()
    assert reasons == ["not_sampled"] * 15


def test_more_than_the_input_keeps_everything(store, make_pool):
    pool = make_pool(4)
    assert sample(store, pool.ref, "s-f", n=10).rows == 4
    assert sample(store, pool.ref, "s-g", n=10, offset=3).rows == 1


def test_a_missing_key_column_is_named(store, make_pool):
    pool = make_pool(3)
    with pytest.raises(Exception, match="column 'nope' is missing"):
        sample(store, pool.ref, "s-h", n=2, key="nope")
