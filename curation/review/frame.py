"""The rows a review can sample from: a snapshot's kept rows plus the rows its filters dropped.

Both come out with the same columns: the snapshot's own, plus what reviewers see and
what stats group by: ``word_count``, ``verdict``, ``extracted_answer``, ``reflection_count``,
``pass_rate``, and ``filter_stage`` / ``filter_stage_index`` / ``filter_reason``
(``kept`` / null / null for rows the filters kept). Scores the filters stored are used as
they are; missing ones are computed here (word count, verdict through ``curation.verify``).
"""

from __future__ import annotations

import json

import polars as pl

from curation.filters.words import regex_word_count
from curation.schema import PROBLEM_COLUMNS
from curation.store.snapshot import Snapshot

KEPT = "kept"
EXTRACTED_COLUMNS = ("extracted_answer", "extracted")
REVIEW_COLUMNS: dict[str, pl.DataType] = {
    **PROBLEM_COLUMNS,
    "response": pl.Utf8(),
    "word_count": pl.Int64(),
    "verdict": pl.Utf8(),
    "extracted_answer": pl.Utf8(),
    "reflection_count": pl.Int64(),
    "pass_rate": pl.Float64(),
    "filter_stage": pl.Utf8(),
    "filter_stage_index": pl.Int64(),
    "filter_reason": pl.Utf8(),
}


def grade_rows(responses: list[str | None], golds: list[str | None],
               choices: list[list[str] | None]) -> list[tuple[str | None, str | None]]:
    """(verdict status, extracted answer) per row, graded as ``curation.verify.grade`` does
    (batched: fast path first); (None, None) for a row without a response or gold answer."""
    from curation.verify import grade_frame

    frame = pl.DataFrame({"response": responses, "answer": golds,
                          "choices": [list(c or []) for c in choices]},
                         schema={"response": pl.Utf8, "answer": pl.Utf8, "choices": pl.List(pl.Utf8)})
    gradable = frame.with_row_index("_row").filter(pl.col("response").is_not_null() & pl.col("answer").is_not_null())
    out: list[tuple[str | None, str | None]] = [(None, None)] * frame.height
    if gradable.height:
        graded = grade_frame(gradable)
        for index, verdict, extracted in graded.select("_row", "verdict", "extracted").iter_rows():
            out[index] = (verdict, extracted)
    return out


def _with_scores(frame: pl.DataFrame) -> pl.DataFrame:
    if "response" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.Utf8).alias("response"))
    if "word_count" not in frame.columns:
        frame = frame.with_columns(regex_word_count(pl.col("response")).cast(pl.Int64).alias("word_count"))
    extracted = next((c for c in EXTRACTED_COLUMNS if c in frame.columns), None)
    if extracted and extracted != "extracted_answer":
        frame = frame.with_columns(pl.col(extracted).alias("extracted_answer"))
    if "verdict" not in frame.columns or "extracted_answer" not in frame.columns:
        graded = grade_rows(frame["response"].to_list(), frame["answer"].to_list(), frame["choices"].to_list())
        frame = frame.with_columns(
            pl.Series("verdict", [g[0] for g in graded], dtype=pl.Utf8),
            pl.Series("extracted_answer", [g[1] for g in graded], dtype=pl.Utf8),
        )
    for column in ("reflection_count", "pass_rate"):
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None).alias(column))
    return frame.select([pl.col(c).cast(t) for c, t in REVIEW_COLUMNS.items()])


def kept_rows(snapshot: Snapshot) -> pl.DataFrame:
    frame = snapshot.read().with_columns(
        pl.lit(KEPT).alias("filter_stage"), pl.lit(None, dtype=pl.Int64).alias("filter_stage_index"),
        pl.lit(None, dtype=pl.Utf8).alias("filter_reason"))
    return _with_scores(frame)


def rejected_rows(snapshot: Snapshot) -> pl.DataFrame:
    """Dropped rows rebuilt from the JSON each rejection keeps of its row."""
    rejections = snapshot.rejections().collect()
    if rejections.height == 0:
        return pl.DataFrame(schema=REVIEW_COLUMNS)
    rows = []
    for rejection in rejections.iter_rows(named=True):
        row = json.loads(rejection["row"]) if rejection["row"] else {}
        row.setdefault("id", rejection["row_id"])
        row.update(filter_stage=rejection["stage"], filter_stage_index=rejection["stage_index"],
                   filter_reason=rejection["reason"])
        rows.append(row)
    frame = pl.DataFrame(rows, infer_schema_length=None)
    for column in ("choices", "image_ids"):
        if column not in frame.columns or frame.schema[column] == pl.Null:
            frame = frame.with_columns(pl.lit([], dtype=pl.List(pl.Utf8)).alias(column))
    for column in ("source", "problem", "answer"):
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.Utf8).alias(column))
    return _with_scores(frame)
