"""Loop recipes: the shipped ones load; a bad one is refused naming the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from curation.recipe import recipe_from_dict
from curation.store import Store
from training.loop.config import LoopConfigError, load_loop, loop_from_dict
from training.loop.state import LoopState
from training.loop.steps import LoopContext, grpo_recipe, sft_recipe

RECIPES = Path(__file__).resolve().parents[3] / "recipes"


def test_the_papers_loop_has_the_papers_sizes_and_presets():
    config = load_loop(RECIPES / "openvlthinker.yaml")
    assert [it.sft.max_rows for it in config.iterations] == [25000, 5000, 5000]
    assert {it.grpo.selection["max_problems"] for it in config.iterations} == {5000}
    assert (config.presets.sft, config.presets.grpo) == ("openvlthinker-sft", "openvlthinker-grpo")
    assert config.iteration(5) == config.iterations[-1]  # later iterations repeat the last settings


def test_demo_loop_loads():
    config = load_loop(RECIPES / "demo-iterate.yaml")
    assert config.base_model == "tiny" and len(config.iterations) == 2
    assert config.roles.policy.backend == "transformers"


@pytest.mark.parametrize(("change", "message"), [
    ({"roles": {"policy": {"model": "x"}}}, "roles.policy.model: leave empty"),
    ({"iterations": []}, "iterations"),
    ({"iterations": [{"sft": {"problems": 0}, "grpo": {"problems": 1}}]}, "iterations.0.sft.problems"),
    ({"surprise": 1}, "surprise"),
    ({"name": "../x"}, "name: Value error, loop name .*'../x' is not a snapshot name"),
    ({"name": "a..b"}, "'a..b' is not a snapshot name"),  # the pattern let it through; its first snapshot failed
])
def test_bad_loop_names_the_field(change, message):
    data = {"name": "l", "base_model": "tiny", "pool": {"name": "p"}, "eval": {"name": "e"},
            "iterations": [{"sft": {"problems": 2}, "grpo": {"problems": 2}}], **change}
    with pytest.raises(LoopConfigError, match=message) as error:
        loop_from_dict(data, where="loops/bad.yaml")
    assert "loops/bad.yaml" in str(error.value)


def test_roles_take_the_generating_stages_settings():
    """A role is the reason/caption stages' generation settings: same fields, same checks, passed through."""
    from curation.generate.stage import GenerationParams, GenerationSettings
    from training.loop.config import Role
    from training.loop.steps import generation

    assert issubclass(Role, GenerationSettings)
    shared = set(GenerationSettings.model_fields)
    assert shared <= set(Role.model_fields) and shared <= set(GenerationParams.model_fields)
    role = Role(backend="openai", model="m", base_url="http://h/v1", temperature=0.3, concurrency=4, seed=9)
    params = generation(role, model="m", default_preset="sampling")
    assert params == {"backend": "openai", "model": "m", "preset": "sampling", "base_url": "http://h/v1",
                      "temperature": 0.3, "concurrency": 4}  # the seed goes in as the stage's own
    with pytest.raises(LoopConfigError, match="roles.reasoner.api_key_env"):
        loop_from_dict({"name": "l", "base_model": "tiny", "pool": {"name": "p"}, "eval": {"name": "e"},
                        "roles": {"reasoner": {"api_key_env": "HF_TOKEN"}},
                        "iterations": [{"sft": {"problems": 2}, "grpo": {"problems": 2}}]}, where="l.yaml")


def test_the_catalog_keeps_the_loop_without_server_credentials(store: Store):
    import json

    from training.loop.iterate import _run_loop

    url = "http://user:pw-s3cret@127.0.0.1:9/v1?api_key=k3y-s3cret"
    config = loop_from_dict({"name": "l", "base_model": "tiny", "pool": {"name": "missing-pool"},
                             "eval": {"name": "e"}, "roles": {"reasoner": {"backend": "openai", "base_url": url}},
                             "iterations": [{"sft": {"problems": 2}, "grpo": {"problems": 2}}]})
    with pytest.raises(Exception, match="missing-pool"):  # the loop is registered before its first step
        _run_loop(config, store, iterations=1, echo=lambda line: None, hooks=None)
    kept = store.catalog.loop("l")["config"]
    assert "s3cret" not in kept
    assert json.loads(kept)["roles"]["reasoner"]["base_url"] == "http://***@127.0.0.1:9/v1?api_key=***"


def test_missing_file_is_named(tmp_path):
    with pytest.raises(LoopConfigError, match="no such loop recipe"):
        load_loop(tmp_path / "nope.yaml")


def test_built_recipes_are_valid_and_follow_the_paper(store: Store, make_pool):
    """Iteration 1 = caption + text reasoner; later = the policy from the image; GRPO = rollouts + difficulty."""
    pool = make_pool(6)
    config = load_loop(RECIPES / "openvlthinker.yaml")
    ctx = LoopContext(config=config, store=store, state=LoopState(store, config.name), pool=pool, grpo_pool=pool,
                      eval_split=pool, base_path="base", base_id="b")
    first = sft_recipe(ctx, 1, None)
    later = sft_recipe(ctx, 2, "/models/grpo-iter1")
    grpo = grpo_recipe(ctx, 1, "/models/sft-iter1")
    for recipe in (first, later, grpo):
        recipe_from_dict(recipe, where="test")  # every stage and param exists
    types = [[s["type"] for s in r["stages"]] for r in (first, later, grpo)]
    assert types[0][types[0].index("caption"):] == ["caption", "reason", "reflection", "length", "format",
                                                     "correctness", "select", "mix", "check"]
    assert "caption" not in types[1] and "mix" in types[1][:4]  # iteration 2 draws its source shares
    reason = next(s for s in later["stages"] if s["type"] == "reason")
    assert (reason["mode"], reason["model"], reason["backend"]) == ("image", "/models/grpo-iter1", "vllm")
    assert types[2][types[2].index("reason"):] == ["reason", "correctness", "difficulty", "to_grpo", "check"]
    assert next(s for s in grpo["stages"] if s["type"] == "reason")["preset"] == "rollout"
    assert next(s for s in grpo["stages"] if s["type"] == "decontaminate")["against"] == [pool.ref]


def test_running_a_loop_recipe_as_a_pipeline_recipe_says_what_to_do():
    from curation.recipe import RecipeError, load_recipe

    with pytest.raises(RecipeError, match="loop recipe .*thinkset iterate"):
        load_recipe(RECIPES / "demo-iterate.yaml")
