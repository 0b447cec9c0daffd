"""MathVista-style scoring, after MathVista's ``evaluation/calculate_score.py``.

Multiple choice: "(B) text" gives the letter B; a letter names its option; any
other text is mapped to the most similar option by Levenshtein distance (the
first of equally close ones), and the option text is compared with the gold
option. Free form by ``answer_type``: ``integer`` compares ``int(float(x))``
(truncation, as MathVista does), ``float`` compares ``round(x, precision)``,
``list`` compares the text without spaces, anything else the normalized text.

Where MathVista asks GPT-4 to extract the answer, we take the response's final
answer (``<answer>`` tag, ``\\boxed{}``, "the answer is") and drop units,
percent signs, ``$`` and thousands separators with ``curation.verify``'s
normalization, so "12 cm" answers 12. An empty extraction is ``unparseable``
(MathVista would still map "" to the shortest option). Missing
``question_type``/``answer_type``/``precision`` are inferred from the choices
and the gold answer ("3" integer, "1.25" float with precision 2).
"""

from __future__ import annotations

import re

from rapidfuzz.distance import Levenshtein

from curation.verify.normalize import normalize_answer, option_letter, parse_number
from training.eval.mathvision import gold_letter_index

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PAREN_LETTER = re.compile(r"\(([a-zA-Z])\)")
_SPACES = re.compile(r"\s+")


def _number(text: str) -> float | None:
    parsed = parse_number(normalize_answer(text))
    return parsed.value if parsed is not None else None


def infer_answer_type(gold: str) -> tuple[str, int]:
    """(answer_type, precision) of a free-form gold answer."""
    stripped = gold.strip()
    if stripped.startswith("[") and stripped.endswith("]"):
        return "list", 0
    parsed = parse_number(normalize_answer(stripped))
    if parsed is None:
        return "text", 0
    if parsed.decimals == 0 and float(parsed.value).is_integer():
        return "integer", 0
    return "float", parsed.decimals


def most_similar(prediction: str, choices: list[str]) -> int:
    """Index of the option closest to ``prediction`` in edit distance (first of ties, as MathVista)."""
    distances = [Levenshtein.distance(prediction, choice) for choice in choices]
    return distances.index(min(distances))


def choice_of(extracted: str, choices: list[str]) -> int:
    """The option an extracted multiple-choice answer names."""
    text = extracted.strip()
    letters = _PAREN_LETTER.findall(text)
    if letters:
        text = letters[0].upper()
    if len(text) == 1 and text.upper() in LETTERS[:len(choices)]:
        return LETTERS.index(text.upper())
    if text in choices:
        return choices.index(text)
    letter = option_letter(normalize_answer(text))  # "B.", "b: 12"
    if letter is not None and letter < len(choices):
        return letter
    return most_similar(text, choices)


def gold_choice(gold: str, choices: list[str]) -> int | None:
    """The gold option: its text (MathVista's layout) or its letter."""
    if gold in choices:
        return choices.index(gold)
    return gold_letter_index(gold, choices)


def score_mathvista(extracted: str | None, gold: str, choices: list[str], *, question_type: str | None = None,
                    answer_type: str | None = None, precision: int | None = None) -> tuple[str, str | None]:
    """(status, prediction): status is correct | wrong | unparseable; prediction is what was compared."""
    if extracted is None or not extracted.strip():
        return "unparseable", None
    question_type = question_type or ("multi_choice" if choices else "free_form")
    if question_type == "multi_choice" and choices:
        predicted, expected = choice_of(extracted, choices), gold_choice(gold, choices)
        return ("correct" if predicted == expected else "wrong"), choices[predicted]
    inferred_type, inferred_precision = infer_answer_type(gold)
    answer_type = answer_type or inferred_type
    prediction: str | None
    if answer_type in ("integer", "float"):
        value, gold_value = _number(extracted), _number(gold)
        if value is None or gold_value is None:
            return "wrong", None
        if answer_type == "integer":
            prediction, expected_text = str(int(value)), str(int(gold_value))
        else:
            digits = int(precision) if precision is not None else inferred_precision
            prediction, expected_text = str(round(value, digits)), str(round(gold_value, digits))
        return ("correct" if prediction == expected_text else "wrong"), prediction
    if answer_type == "list":
        prediction = _SPACES.sub("", extracted)
        return ("correct" if prediction == _SPACES.sub("", gold) else "wrong"), prediction
    prediction = normalize_answer(extracted)
    return ("correct" if prediction == normalize_answer(gold) else "wrong"), prediction
