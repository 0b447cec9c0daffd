"""Verifiable rewards for GRPO, each a plain ``(completions, **kwargs) -> list[float]`` usable in TRL directly.

TRL calls every reward with the batch's completions and, as keyword
arguments, every dataset column row-aligned with them; ``training.data``
provides ``solution`` (the reference answer) and ``choices``. Completions are
strings or, for conversational prompts, ``[{"role": "assistant", "content": ...}]``.
Correctness reuses ``curation.verify`` so the reward and the curation filter
agree on what "correct" means.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from curation.filters.words import count_words
from curation.verify import grade
from curation.verify.trace_format import is_well_formed

RewardFunction = Callable[..., list[float]]

DEFAULT_MAX_WORDS = 500  # the paper's length cut for SFT traces


def completion_text(completion: Any) -> str:
    """The text of one completion, whether plain or conversational."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list):
        parts = []
        for message in completion:
            content = message.get("content") if isinstance(message, dict) else message
            if isinstance(content, list):
                parts.extend(block.get("text") or "" for block in content if isinstance(block, dict))
            elif content is not None:
                parts.append(str(content))
        return "".join(parts)
    return str(completion)


def _row_value(values: Sequence[Any] | None, index: int) -> Any:
    return values[index] if values is not None and index < len(values) else None


def accuracy_reward(completions: list[Any], solution: Sequence[str] | None = None,
                    choices: Sequence[Sequence[str] | None] | None = None, **kwargs: Any) -> list[float]:
    """1.0 when ``curation.verify.grade`` judges the completion's final answer equal to ``solution``, else 0.0.

    The grader finds the final answer (last ``<answer>`` tag, else ``\\boxed{}``, else "the answer is");
    ``solution`` may also arrive as ``answer``; a row without a reference scores 0.0.
    """
    references = solution if solution is not None else kwargs.get("answer")
    if references is None:
        raise ValueError("accuracy reward needs a 'solution' (or 'answer') column in the training dataset; "
                         "build it with training.data.trainer_dataset(..., mode='grpo')")
    rewards = []
    for index, completion in enumerate(completions):
        reference = _row_value(references, index)
        if reference is None or str(reference).strip() == "":
            rewards.append(0.0)
            continue
        row_choices = list(_row_value(choices, index) or [])
        verdict = grade(completion_text(completion), str(reference), choices=row_choices)
        rewards.append(1.0 if verdict.correct else 0.0)
    return rewards


def format_reward(completions: list[Any], **kwargs: Any) -> list[float]:
    """1.0 when the completion is a well-formed trace, else 0.0.

    Well formed is ``curation.verify.trace_format``'s rule, the one the format filter and the checks
    apply to curated data: ``<think>…</think>``, only whitespace, ``<answer>…</answer>``, nothing after.
    """
    return [1.0 if is_well_formed(completion_text(c)) else 0.0 for c in completions]


def make_length_penalty(max_words: int = DEFAULT_MAX_WORDS) -> RewardFunction:
    """A reward that is 0 up to ``max_words`` words and falls linearly to -1 at twice that."""

    def length_penalty(completions: list[Any], **kwargs: Any) -> list[float]:
        penalties = []
        for completion in completions:
            words = count_words(completion_text(completion))
            penalties.append(-min(1.0, max(0, words - max_words) / max_words))
        return penalties

    return length_penalty


length_penalty = make_length_penalty()

REWARDS: dict[str, RewardFunction] = {
    "accuracy": accuracy_reward,
    "format": format_reward,
    "length_penalty": length_penalty,
}


def reward_functions(names: Sequence[str]) -> list[RewardFunction]:
    """The reward functions named in a preset, in order."""
    unknown = [n for n in names if n not in REWARDS]
    if unknown:
        raise ValueError(f"unknown reward(s) {', '.join(unknown)}; known: {', '.join(REWARDS)}")
    return [REWARDS[n] for n in names]
