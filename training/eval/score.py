"""Score responses in a benchmark's style: ``default`` (thinkset's grader, as the correctness filter and
the GRPO reward), ``mathvista`` or ``mathvision``.

The style of a row is ``--style`` when given, else the row's ``style`` column,
else ``style`` in its metadata, else ``default``. MathVista's
``question_type``/``answer_type``/``precision`` are read the same way (column,
then metadata). Every style takes the final answer with ``curation.verify``'s
extractor, so the styles differ only in how an answer is compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from curation.verify import extract_answer, grade, grade_frame
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


def field_expr(name: str, columns: list[str]) -> pl.Expr:
    """A row's value of ``name`` as text: its column, else the key of its JSON metadata (or of the
    ``metadata`` object inside it, where an ingested MathVista row keeps ``category``), else null."""
    sources = [pl.col(name).cast(pl.Utf8)] if name in columns else []
    if "metadata" in columns:
        sources += [pl.col("metadata").str.json_path_match(f"$.{name}"),
                    pl.col("metadata").str.json_path_match(f"$.metadata.{name}")]
    return pl.coalesce(sources) if sources else pl.lit(None, dtype=pl.Utf8)


def with_row_fields(samples: pl.DataFrame, style: str | None) -> pl.DataFrame:
    """``samples`` with ``style`` (``--style``, else the row's, else default), ``category`` (MathVista's
    category or MATH-V's subject) and MathVista's fields; raises StyleError naming a row with a bad style."""
    if style is not None and style not in STYLES:
        raise StyleError(f"--style {style!r} is not one of {', '.join(STYLES)}")
    columns = samples.columns
    style_expr = pl.lit(style) if style else pl.coalesce(field_expr("style", columns), pl.lit("default"))
    frame = samples.with_columns(
        style_expr.alias("style"),
        pl.coalesce(field_expr("category", columns), field_expr("subject", columns)).alias("category"),
        *[field_expr(name, columns).alias(name) for name in MATHVISTA_FIELDS])
    unknown = frame.filter(~pl.col("style").is_in(STYLES))
    if unknown.height:
        row = unknown.row(0, named=True)
        raise StyleError(f"row {row.get('id')}: style {row['style']!r} is not one of {', '.join(STYLES)}; fix the "
                         "row's style column/metadata or pass --style")
    return frame


def score_frame(samples: pl.DataFrame, style: str | None = None) -> pl.DataFrame:
    """``samples`` (problem columns + ``response``) with ``style``, ``category``, ``extracted``,
    ``prediction``, ``status`` and ``correct`` added.

    Default-style rows go through ``curation.verify``'s batch grader (vectorized rules, then math-verify on
    the unique leftovers); benchmark-style rows are compared one by one.
    """
    frame = with_row_fields(samples, style).with_row_index("_row")
    parts = []
    default = frame.filter(pl.col("style") == "default")
    if default.height:
        graded = grade_frame(default.with_columns(pl.col("answer").cast(pl.Utf8)))
        parts.append(graded.select("_row", "extracted", pl.col("extracted").alias("prediction"),
                                   pl.col("verdict").alias("status")))
    benchmark = frame.filter(pl.col("style") != "default")
    if benchmark.height:
        scores = [score_response(row["response"], str(row["answer"]), choices=row.get("choices"), style=row["style"],
                                 fields={name: row[name] for name in MATHVISTA_FIELDS})
                  for row in benchmark.iter_rows(named=True)]
        parts.append(pl.DataFrame({"_row": benchmark["_row"], "extracted": [s.extracted for s in scores],
                                   "prediction": [s.prediction for s in scores],
                                   "status": [s.status for s in scores]},
                                  schema={"_row": pl.UInt32, "extracted": pl.Utf8, "prediction": pl.Utf8,
                                          "status": pl.Utf8}))
    scored = pl.concat(parts) if parts else pl.DataFrame(
        schema={"_row": pl.UInt32, "extracted": pl.Utf8, "prediction": pl.Utf8, "status": pl.Utf8})
    return frame.drop([c for c in ("extracted", "prediction", "status", "correct") if c in frame.columns]) \
        .join(scored, on="_row", how="left").sort("_row").drop("_row") \
        .with_columns((pl.col("status") == "correct").alias("correct"))
