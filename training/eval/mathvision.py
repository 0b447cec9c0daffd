"""MathVision-style scoring, after MATH-V's ``evaluation/evaluate.py``.

With options the gold answer is a letter; a response is correct when its final
answer is that letter ("C", "(C)", "c.") or equals the gold option's value
(math equality: "12" answers an option "12", "\\frac{1}{2}" an option "0.5").
Without options the final answer must equal the gold answer mathematically.
Both equalities are ``curation.verify``'s grader.
"""

from __future__ import annotations

from curation.verify import grade
from curation.verify.normalize import gold_letter, normalize_answer, option_letter
from curation.verify.trace_format import ANSWER_CLOSE, ANSWER_OPEN

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _equal(extracted: str, gold: str) -> bool:
    return grade(f"{ANSWER_OPEN}{extracted}{ANSWER_CLOSE}", gold).correct


def gold_letter_index(gold: str, choices: list[str]) -> int | None:
    """The gold option's index: its letter, else the option whose normalized text it is."""
    normalized = normalize_answer(gold)
    letter = gold_letter(normalized)
    if letter is not None and letter < len(choices):
        return letter
    options = [normalize_answer(c) for c in choices]
    return options.index(normalized) if normalized in options else None


def score_mathvision(extracted: str | None, gold: str, choices: list[str]) -> tuple[str, str | None]:
    """(status, prediction): the predicted letter with options, else the extracted answer."""
    if extracted is None or not extracted.strip():
        return "unparseable", None
    if not choices:
        return ("correct" if _equal(extracted, gold) else "wrong"), extracted.strip()
    expected = gold_letter_index(gold, choices)
    normalized = normalize_answer(extracted)
    letter = option_letter(normalized)  # "c", "(c)", "c.", "c: 12"
    if letter is not None:
        if letter >= len(choices):
            return "wrong", LETTERS[letter] if letter < len(LETTERS) else normalized
        return ("correct" if letter == expected else "wrong"), LETTERS[letter]
    if expected is not None and _equal(extracted, choices[expected]):
        return "correct", LETTERS[expected]
    return "wrong", extracted.strip()
