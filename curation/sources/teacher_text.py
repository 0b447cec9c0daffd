"""Sentences of the synthetic teacher: reasoning of a chosen length, reflections and summaries.

Normal reasoning never uses a reflection marker ("Wait", "But wait", "But the question", "Hmm"),
so a reflection filter finds markers only in traces labelled ``reflection``.
"""

from __future__ import annotations

import random

from curation.filters.words import count_words
from curation.sources.synthetic_draw import LETTERS

STEPS = [
    "First, I identify exactly what the question is asking for.",
    "The picture contains the information needed, so I read it element by element.",
    "I write down each relevant quantity before doing any computation.",
    "Each label in the figure tells me which value belongs to which element.",
    "Now I focus on the elements that the question mentions and set the others aside.",
    "It helps to organise the known values in a short list.",
    "Next, I decide which operation connects these values to the quantity asked for.",
    "The relationship between the quantities follows directly from the definitions involved.",
    "I carry out the computation one step at a time to avoid arithmetic slips.",
    "Combining the intermediate results gives a single value.",
    "This value is consistent with what the figure shows at a glance.",
    "The units and the scale of the figure agree with this result.",
    "I also make sure no element of the figure was counted twice or skipped.",
    "Looking at the overall layout again, the reading of each element is clear.",
    "The numbers involved are small, so the arithmetic is easy to follow.",
    "Ordering the values from smallest to largest makes the comparison straightforward.",
]
LONG_STEPS = [
    "To be thorough, I go over every element of the figure once more and restate its value.",
    "Let me also consider how the result would change if one reading were slightly different.",
    "Another way to see this is to describe the figure region by region and collect the facts.",
    "I redo the intermediate computation using a different grouping of the terms.",
    "I write the whole chain of reasoning out in full before settling on the result.",
]
REFLECTION_MARKERS = ["Wait,", "But wait,", "Hmm, wait.", "But the question"]
CHECKS = [
    "let me double-check the values I read from the figure.",
    "maybe I misread one of the labels, so let me look again.",
    "I should recompute the last step to be sure.",
]
SUMMARIES = ["So the final answer is {}.", "Therefore, the answer is {}.", "Based on the figure, the answer is {}."]
NO_ANSWER = [
    "I could not determine the final answer from the information I have.",
    "The information is not enough for me to give a definite answer.",
]


def _clip(text: str, limit: int) -> str:
    words = text.split()
    return " ".join(words[:limit]) + (" ..." if len(words) > limit else "")


def reasoning(problem: str, choices: list[str], rng: random.Random, target_words: int) -> str:
    """Reasoning sentences adding up to about ``target_words`` words (it stops at the first sentence past it)."""
    question = problem.strip().splitlines()[0] if problem.strip() else "the question"
    sentences = [f"Let me read the question carefully: {_clip(question, 30)}"]
    if choices:
        options = ", ".join(f"({LETTERS[i]}) {text}" for i, text in enumerate(choices[: len(LETTERS)]))
        sentences.append(f"The options are {_clip(options, 40)}, and I need the one matching my result.")
    total = sum(count_words(s) for s in sentences)
    pool = STEPS + (LONG_STEPS if target_words > 400 else [])
    while total < target_words:
        sentence = rng.choice(pool)
        sentences.append(sentence)
        total += count_words(sentence)
    return " ".join(sentences)


def reflection(stated: str | None, rng: random.Random) -> str:
    """A reflection placed after the reasoning reached ``stated``; it keeps the same answer."""
    marker = rng.choice(REFLECTION_MARKERS)
    if marker == "But the question":
        opening = "But the question might ask for something slightly different, so let me reread it."
    else:
        opening = f"{marker} {rng.choice(CHECKS)}"
    closing = f"After checking, the answer is still {stated}." if stated else "I am still not sure about the final value."
    return f"{opening} {rng.choice(STEPS)} {closing}"


def summary(stated: str | None, rng: random.Random) -> str:
    """A closing sentence that states ``stated`` (or, without an answer, that there is none).

    The teacher writes it between ``</think>`` and ``<answer>`` only as the ``text_between`` format defect.
    """
    if stated is None:
        return rng.choice(NO_ANSWER)
    return rng.choice(SUMMARIES).format(stated)
