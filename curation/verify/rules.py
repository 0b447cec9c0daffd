"""The cheap grading rules, in Python; ``fast.py`` holds the same rules as Polars expressions.

``decide`` settles most (gold, prediction) pairs without math-verify: option letters and option
texts mapped both ways, equal normalized strings, numbers (percent, fractions, tolerance), and
distinct tokens among a-e/yes/no. What it cannot settle it returns as a ``Pending`` pair of
normalized strings for math-verify.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from curation.verify.normalize import (
    RISKY,
    TOKENS,
    gold_letter,
    has_percent,
    normalize_answer,
    numbers_match,
    option_letter,
    parse_number,
)

# Longer normalized answers are compared as strings only: math-verify on them is unbounded work.
MAX_MATH_CHARS = 400
_RISKY = re.compile(RISKY)


@dataclass(frozen=True)
class Pending:
    """A pair the cheap rules could not settle; math-verify decides it."""

    gold: str
    pred: str


def option_index(normalized: str, options: list[str], *, is_gold: bool) -> int | None:
    """Index of the option named by a letter ("b", "(B)", "B.") or equal to an option's text."""
    letter = gold_letter(normalized) if is_gold else option_letter(normalized)
    if letter is not None and letter < len(options):
        return letter
    for index, option in enumerate(options):
        if option == normalized:
            return index
    return None


def decide(gold: str, pred: str | None, choices: list[str] | None) -> str | Pending:
    """"correct", "wrong", "unparseable" or a Pending pair, from raw gold and raw extracted answer."""
    if pred is None:
        return "unparseable"
    norm_pred = normalize_answer(pred)
    if norm_pred == "":
        return "unparseable"
    norm_gold = normalize_answer(gold or "")
    gold_pct, pred_pct = has_percent(gold or ""), has_percent(pred)
    if choices:
        options = [normalize_answer(c or "") for c in choices]
        gold_index = option_index(norm_gold, options, is_gold=True)
        pred_index = option_index(norm_pred, options, is_gold=False)
        pred_letter = option_letter(norm_pred)
        if pred_index is None and pred_letter is not None and pred_letter >= len(options):
            return "wrong"  # "(E)" with four options
        if gold_index is not None and pred_index is not None:
            return "correct" if gold_index == pred_index else "wrong"
        if gold_index is not None:
            norm_gold = options[gold_index]
            gold_pct = has_percent(choices[gold_index] or "")
    if norm_pred == norm_gold:
        return "correct"
    gold_number, pred_number = parse_number(norm_gold), parse_number(norm_pred)
    if gold_number is not None and pred_number is not None:
        return "correct" if numbers_match(pred_number, gold_number, pred_pct, gold_pct) else "wrong"
    if norm_pred in TOKENS and norm_gold in TOKENS:
        return "wrong"
    if len(norm_pred) > MAX_MATH_CHARS or len(norm_gold) > MAX_MATH_CHARS or norm_gold == "" \
            or _RISKY.search(norm_pred) or _RISKY.search(norm_gold):
        return "wrong"
    return Pending(norm_gold, norm_pred)
