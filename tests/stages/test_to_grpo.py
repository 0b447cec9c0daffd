"""to_grpo: one GRPO prompt per problem, from a pool or an sft/rollouts snapshot, via a real recipe run."""

from __future__ import annotations

import polars as pl

from curation.pipeline import run_recipe
from curation.recipe import recipe_from_dict
from curation.schema import GRPO_SCHEMA
from tests.conftest import rollouts_frame


def run(store, input_ref: str, output: str, **params):
    recipe = recipe_from_dict({"name": f"to-grpo-{output}", "input": input_ref, "output": output,
                               "stages": [{"type": "to_grpo", **params}]}, where="test")
    return run_recipe(recipe, store).final


def test_pool_to_grpo_keeps_problem_fields_and_null_pass_rate(store, make_pool):
    pool = make_pool(5)
    info = run(store, pool.ref, "grpo-a")
    frame = store.open(info.ref).read()
    assert info.kind == "grpo"
    assert frame.columns[:len(GRPO_SCHEMA)] == list(GRPO_SCHEMA)
    source = store.open(pool.ref).read()
    assert frame.select("id", "problem", "answer", "image_ids").equals(
        source.select("id", "problem", "answer", "image_ids"))
    assert frame["pass_rate"].is_null().all()
    assert [e["kind"] for e in store.lineage(info.id) if e["direction"] == "ancestor"] == ["filtered_from"]


def test_rollouts_collapse_to_one_prompt_per_problem_and_blank_answers_drop(store):
    first = rollouts_frame(["a", "b", "c"], answer="4")
    second = rollouts_frame(["d", "e"], answer=" ").with_columns(
        problem=pl.lit("What is 3 + 3?"), problem_id=pl.lit("p-blank"), id=pl.Series(["x1", "x2"]))
    with store.writer("rollouts-t", "rollouts", config={"t": 1}) as writer:
        writer.write(pl.concat([first, second]))
    info = run(store, "rollouts-t", "grpo-b")
    frame = store.open(info.ref).read()
    assert frame["id"].to_list() == [first["problem_id"][0]]
    rejected = store.open(info.ref).rejections().collect()
    # every input row is accounted for: one kept, the other samples of a problem dropped with a reason
    assert frame.height + rejected.height == 5
    assert sorted(rejected["reason"].to_list()) == ["duplicate_problem"] * 3 + ["no_answer"]
    assert rejected.filter(pl.col("reason") == "no_answer")["row_id"].to_list() == ["p-blank"]
    kept_all = run(store, "rollouts-t", "grpo-c", drop_empty_answers=False)
    assert kept_all.rows == 2
