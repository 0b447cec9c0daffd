"""Rewards are plain TRL reward functions; accuracy agrees with curation.verify."""

from __future__ import annotations

from training.rewards import (
    accuracy_reward,
    format_reward,
    length_penalty,
    make_length_penalty,
    reward_functions,
)


def conversational(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


def test_accuracy_uses_each_rows_solution():
    completions = ["<think>x</think><answer>4</answer>", "<think>x</think><answer>4</answer>",
                   conversational("<think>half</think><answer>\\frac{1}{2}</answer>"), "no answer at all"]
    assert accuracy_reward(completions, solution=["4", "5", "0.5", "4"]) == [1.0, 0.0, 1.0, 0.0]


def test_accuracy_maps_choice_letters_and_accepts_answer_column():
    completions = ["<answer>B</answer>", "<answer>B</answer>"]
    assert accuracy_reward(completions, answer=["5", "3"], choices=[["3", "5"], ["3", "5"]]) == [1.0, 0.0]


def test_format_wants_think_then_answer():
    assert format_reward(["<think>a</think>\n<answer>1</answer>", "<answer>1</answer>",
                          "<think>a</think><answer>1</answer> trailing", conversational("<think>b</think><answer>x</answer>"),
                          "<think>a<think>b</think><answer>1</answer>"]) == [1.0, 0.0, 0.0, 1.0, 0.0]


def test_format_is_the_curation_rule():
    # The layout curated SFT data has (and the synthetic teacher writes) scores 1; a summary sentence
    # between the tags, an empty think or answer, or a leftover end-of-turn token scores 0, as the filter.
    assert format_reward(["<think>\nTwo and two.\n</think>\n<answer>4</answer>\n",
                          "<think>Two and two.</think> So the answer is 4. <answer>4</answer>",
                          "<think> </think><answer>4</answer>", "<think>a</think><answer> </answer>",
                          "<think>a</think><answer>4</answer><|im_end|>"]) == [1.0, 0.0, 0.0, 0.0, 0.0]


def test_length_penalty_starts_past_the_limit():
    assert length_penalty(["word " * 500, "word " * 750, "word " * 5000]) == [0.0, -0.5, -1.0]
    assert make_length_penalty(2)(["a b", "a b c"]) == [0.0, -0.5]


def test_reward_functions_by_name():
    assert reward_functions(["format", "accuracy"]) == [format_reward, accuracy_reward]
