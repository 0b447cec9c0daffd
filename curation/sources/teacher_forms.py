"""Answer texts the synthetic teacher writes: a wrong answer, or the right one in another form."""

from __future__ import annotations

import random
import re
from fractions import Fraction

from curation.sources.synthetic_draw import LETTERS, number_text
from curation.verify.normalize import FRACTION, NUMBER

YES_NO = {"yes": "no", "no": "yes"}
TEXT_DISTRACTORS = ["red", "blue", "apple", "Monday", "none", "Class A", "2015", "circle"]
_NUMBER, _FRACTION = re.compile(NUMBER), re.compile(FRACTION)


def parse_number(text: str) -> Fraction | None:
    """``12``, ``-0.75``, ``3/4``, ``\\frac{3}{4}`` or ``50%`` as an exact Fraction; None for anything else.

    What counts as a number is the grader's rule (``curation.verify.normalize``); the teacher needs the
    exact value to write the same number in other forms.
    """
    text = text.strip()
    scale = 1
    if text.endswith("%"):
        text, scale = text[:-1].strip(), 100
    if _NUMBER.match(text):
        return Fraction(text) / scale
    found = _FRACTION.match(text)
    if not found:
        return None
    sign, numerator, denominator = found.group(1), found.group(2) or found.group(4), found.group(3) or found.group(5)
    if int(denominator) == 0:
        return None
    return Fraction(int(numerator), int(denominator)) * (-1 if sign else 1) / scale


def is_choice_letter(answer: str, choices: list[str]) -> bool:
    return len(answer) == 1 and answer.upper() in LETTERS[: len(choices)]


def wrong_answer(answer: str, choices: list[str], rng: random.Random) -> str:
    """An answer that no grader should accept for ``answer``: another letter, the other yes/no, another number."""
    if choices and is_choice_letter(answer, choices):
        others = [letter for letter in LETTERS[: len(choices)] if letter != answer.upper()]
        if others:
            return rng.choice(others)
    if answer.strip().lower() in YES_NO:
        return YES_NO[answer.strip().lower()]
    value = parse_number(answer)
    if value is not None:
        magnitude = max(2, int(abs(value)) // 4)
        delta = rng.randint(1, magnitude) * rng.choice([-1, 1])
        return number_text(value + delta)
    others = [text for text in TEXT_DISTRACTORS if text.lower() != answer.strip().lower()]
    return rng.choice(others)


def equivalent_form(answer: str, choices: list[str], rng: random.Random) -> str:
    """The same answer written differently (``(B)`` for ``B``, ``0.75`` for ``3/4``, ``50%`` for ``0.5``).

    Returns ``answer`` unchanged only when no other form exists (an empty answer).
    """
    text = answer.strip()
    if choices and is_choice_letter(text, choices):
        return f"({text.upper()})"
    if text.lower() in YES_NO:
        return text.capitalize() if text != text.capitalize() else text.lower()
    value = parse_number(text)
    if value is not None:
        return rng.choice(_number_forms(text, value))
    for candidate in (text.capitalize(), text.upper(), text.lower()):
        if candidate != text:
            return candidate
    return answer


def _number_forms(text: str, value: Fraction) -> list[str]:
    forms: list[str] = []
    if value.denominator == 1:
        forms += [f"{value.numerator}.0", f"${value.numerator}$"]
    else:
        forms += [f"{value.numerator}/{value.denominator}",
                  f"\\frac{{{value.numerator}}}{{{value.denominator}}}"]
        if _terminates(value):
            forms.append(number_text(value))
        if 0 < value < 1 and _terminates(value * 100):
            forms.append(f"{number_text(value * 100)}%")
    return [form for form in forms if form != text] or [f"{text}.0"]


def _terminates(value: Fraction) -> bool:
    """Whether ``value`` has a finite decimal expansion (denominator of the form 2^a 5^b)."""
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1
