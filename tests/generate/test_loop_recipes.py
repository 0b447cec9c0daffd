"""recipes/openvlthinker-grpo.yaml and recipes/openvlthinker-iterN.yaml end to end, with the synthetic
teacher standing in for the policy (--backend synthetic --model synthetic-teacher) and the source names
of the synthetic pool in place of the paper's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import yaml

from curation.checks.results import latest_result
from curation.pipeline import run_recipe
from curation.recipe import Recipe, recipe_from_dict
from curation.sources.pool import write_synthetic_pool
from curation.store.lineage_query import decontamination_status

RECIPES = Path(__file__).resolve().parents[2] / "recipes"
SYNTHETIC = {"backend": "synthetic", "model": "synthetic-teacher"}


def recipe(name: str, edit: Callable[[list[dict]], None]) -> Recipe:
    path = RECIPES / name
    data = yaml.safe_load(path.read_text())
    edit(data["stages"])
    return recipe_from_dict(data, where=str(path))


def pool_and_eval(store, pool_name: str) -> set[str]:
    """A synthetic pool, and an eval split holding copies of five of its problems (new ids)."""
    info = write_synthetic_pool(store, n=40, seed=3, name=pool_name)
    leaked = store.open(info.ref).read().head(5)
    with store.writer("eval", "pool", config={"eval-of": info.id}) as writer:
        writer.write(leaked.with_columns(pl.concat_str(pl.lit("eval-"), pl.col("id")).alias("id")))
    return set(leaked["id"])


def test_grpo_recipe_selects_by_pass_rate_after_decontamination(store):
    leaked = pool_and_eval(store, "pool-grpo")

    def edit(stages):
        difficulty = next(s for s in stages if s["type"] == "difficulty")
        difficulty.update(shares={"synth_geometry": 0.5}, max_problems=12)

    result = run_recipe(recipe("openvlthinker-grpo.yaml", edit), store, SYNTHETIC)
    rollouts = store.open("rollouts-grpo-iterN").read()
    assert rollouts.height == 35 * 8 and not leaked & set(rollouts["problem_id"])
    grpo = store.open(result.final.ref).read()
    assert result.final.kind == "grpo" and grpo.height == 12
    assert grpo.filter(pl.col("source") == "synth_geometry").height == 6
    assert grpo["pass_rate"].is_not_null().all() and grpo["pass_rate"].is_between(0, 1, closed="none").all()
    assert (grpo["n_samples"] == 8).all()
    # the pass rate is what the verdicts of the rollouts say
    graded = rollouts.join(grpo.select(pl.col("id").alias("problem_id"), "n_correct"), on="problem_id")
    assert graded.height == 12 * 8
    check = latest_result(store, result.final.id)
    assert check is not None and check.success
    assert {"pass_rate_not_null", "pass_rate_counts"} <= {o.name for o in check.outcomes}
    assert decontamination_status(store, result.final.ref, "eval").decontaminated


def test_rejection_sampling_recipe_for_later_iterations(store):
    leaked = pool_and_eval(store, "pool")

    def edit(stages):
        first, last = [s for s in stages if s["type"] == "mix"]
        first.update(shares={"synth_geometry": 0.25}, max_problems=24)
        last.update(shares={"synth_geometry": 0.25}, max_problems=8)

    result = run_recipe(recipe("openvlthinker-iterN.yaml", edit), store, SYNTHETIC)
    clean = store.open("pool").read().filter(~pl.col("id").is_in(list(leaked)))
    geometry = clean.filter(pl.col("source") == "synth_geometry").height
    # the largest selection with a quarter geometry, at most 24 problems
    size = min(24, geometry * 4, (clean.height - geometry) * 4 // 3)
    rollouts = store.open("rollouts-iterN").read()
    assert rollouts["problem_id"].n_unique() == size and not leaked & set(rollouts["problem_id"])
    assert set(rollouts["sample_index"]) == {0, 1, 2, 3}
    sft = store.open(result.final.ref).read()
    assert result.final.kind == "sft" and sft.height == 8 and sft["problem_id"].n_unique() == 8
    assert sft.filter(pl.col("source") == "synth_geometry").height == 2
    for row in sft.iter_rows(named=True):
        assert len(row["response"].split()) <= 500 and "Wait," not in row["response"]
    assert decontamination_status(store, result.final.ref, "eval").decontaminated
