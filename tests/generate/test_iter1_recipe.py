"""recipes/openvlthinker-iter1.yaml end to end against the local OpenAI-compatible server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from curation.pipeline import run_recipe
from curation.recipe import load_recipe
from tests.generate.chat_server import prompt_text

pytestmark = pytest.mark.server
RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "openvlthinker-iter1.yaml"


def teacher(body: dict, choice_index: int) -> str:
    """Caption requests get a description; reason requests get one trace per seed: reflection, long, wrong, short."""
    prompt = prompt_text(body)
    if "Image description:" not in prompt:
        return "A small picture with a white bar on a coloured background."
    value = int(re.search(r"What is (\d+) \+ 1\?", prompt).group(1)) + 1
    variant = (body.get("seed") or 0) % 4
    if variant == 0:
        return f"<think>\n{value - 1} plus one is {value}. Wait, let me check again. Yes.\n</think>\n\n<answer>{value}</answer>"
    if variant == 1:
        return "<think>\n" + "counting carefully " * 300 + f"\n</think>\n\n<answer>{value}</answer>"
    if variant == 2:
        return f"<think>\nIt looks like {value + 5}.\n</think>\n\n<answer>{value + 5}</answer>"
    return f"<think>\nOne more than {value - 1} is {value}.\n</think>\n\n<answer>{value}</answer>"


def test_iteration_1_recipe_runs_against_a_server(store, make_pool, chat_server):
    recipe = load_recipe(RECIPE)
    chat_server.answer = teacher
    make_pool(6, name="pool")
    result = run_recipe(recipe, store, {"base_url": chat_server.url})

    rollouts = store.open("rollouts-iter1").read()
    assert rollouts.height == 6 * 4 and set(rollouts["sample_index"]) == {0, 1, 2, 3}
    assert {s.body["model"] for s in chat_server.log} == {"Qwen/Qwen2.5-VL-3B-Instruct",
                                                          "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B"}
    final = store.open(result.final.id).read()
    assert final.height == 6 and final["problem_id"].n_unique() == 6
    for row in final.iter_rows(named=True):
        assert f"<answer>{row['answer']}</answer>" in row["response"]
        assert len(row["response"].split()) <= 500 and "Wait" not in row["response"]
