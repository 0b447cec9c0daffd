"""Score responses in a benchmark's style: ``default`` (thinkset's grader, as the correctness filter and
the GRPO reward), ``mathvista`` or ``mathvision``.

The style of a row is ``--style`` when given, else the row's ``style`` column,
else ``style`` in its metadata, else ``default``. MathVista's
``question_type``/``answer_type``/``precision`` are read the same way (column,
then metadata). Every style takes the final answer with ``curation.verify``'s
extractor, so the styles differ only in how an answer is compared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import polars as pl

from curation.verify import extract_answer, grade
from training.eval.mathvision import score_mathvision
from training.eval.mathvista import score_mathvista

STYLES = ("default", "mathvista", "mathvision")
MATHVISTA_FIELDS = ("question_type", "answer_type", "precision")


class StyleError(ValueError):
    """A row names a scoring style that does not exist."""


@dataclass(frozen=True)
class Score:
    status: str  # correct | wrong | unparseable
    extracted: str | None  # the final answer as written
    prediction: str | None  # what was compared with the gold answer (option text, rounded number, letter)

    @property
    def correct(self) -> bool:
        return self.status == "correct"


def score_response(response: str | None, gold: str, *, choices: list[str] | None = None, style: str = "default",
                   fields: dict[str, Any] | None = None) -> Score:
    """Score one response against ``gold`` in ``style``; ``fields`` are MathVista's per-problem fields."""
    choices = list(choices or [])
    if style == "default":
        verdict = grade(response or "", gold, choices=choices)
        return Score(verdict.status, verdict.extracted, verdict.extracted)
    extracted, _ = extract_answer(response)
    if style == "mathvista":
        fields = fields or {}
        precision = fields.get("precision")
        status, prediction = score_mathvista(
            extracted, gold, choices, question_type=fields.get("question_type"),
            answer_type=fields.get("answer_type"), precision=int(float(precision)) if precision is not None else None)
    elif style == "mathvision":
        status, prediction = score_mathvision(extracted, gold, choices)
    else:
        raise StyleError(f"unknown scoring style {style!r}; styles: {', '.join(STYLES)}")
    return Score(status, extracted, prediction)


def _metadata(row: dict[str, Any]) -> dict[str, Any]:
    metadata = row.get("metadata")
    if isinstance(metadata, str) and metadata:
        try:
            metadata = json.loads(metadata)
        except json.JSONDecodeError:
            return {}
    return metadata if isinstance(metadata, dict) else {}


def row_field(row: dict[str, Any], name: str) -> Any:
    """A row's value of ``name``: its column, else its metadata's key (None when neither has it)."""
    value = row.get(name)
    return value if value is not None else _metadata(row).get(name)


def row_style(row: dict[str, Any], override: str | None) -> str:
    style = override or row_field(row, "style") or "default"
    if style not in STYLES:
        raise StyleError(f"row {row.get('id')}: style {style!r} is not one of {', '.join(STYLES)}; fix the "
                         "row's style column/metadata or pass --style")
    return str(style)


def row_category(row: dict[str, Any]) -> str | None:
    """MathVista's ``category`` or MATH-V's ``subject``, when the row carries one."""
    value = row_field(row, "category") or row_field(row, "subject")
    return None if value is None else str(value)


def score_frame(samples: pl.DataFrame, style: str | None = None) -> pl.DataFrame:
    """``samples`` (problem columns + ``response``) with ``style``, ``category``, ``extracted``,
    ``prediction``, ``status`` and ``correct`` added."""
    if style is not None and style not in STYLES:
        raise StyleError(f"--style {style!r} is not one of {', '.join(STYLES)}")
    styles, categories, scores = [], [], []
    for row in samples.iter_rows(named=True):
        row_style_name = row_style(row, style)
        fields = {name: row_field(row, name) for name in MATHVISTA_FIELDS}
        styles.append(row_style_name)
        categories.append(row_category(row))
        scores.append(score_response(row["response"], str(row["answer"]), choices=row.get("choices"),
                                     style=row_style_name, fields=fields))
    return samples.with_columns(
        pl.Series("style", styles, dtype=pl.Utf8), pl.Series("category", categories, dtype=pl.Utf8),
        pl.Series("extracted", [s.extracted for s in scores], dtype=pl.Utf8),
        pl.Series("prediction", [s.prediction for s in scores], dtype=pl.Utf8),
        pl.Series("status", [s.status for s in scores], dtype=pl.Utf8),
        pl.Series("correct", [s.correct for s in scores], dtype=pl.Boolean))
