"""The vectorized fast path: ``rules.decide`` as Polars expressions over a whole batch.

Rows it settles get a verdict; the rest keep a null verdict and carry the normalized
(gold, prediction) pair that math-verify must judge. The benchmark checks that this path and
the scalar ``grade`` never disagree.
"""

from __future__ import annotations

import string

import polars as pl

from curation.verify.extract import extract_series
from curation.verify.normalize import (
    GOLD_LETTER,
    LETTER,
    PERCENT,
    RISKY,
    TOKENS,
    normalize_expr,
    number_exprs,
    numbers_match_expr,
)
from curation.verify.rules import MAX_MATH_CHARS

_LETTER_INDEX = {letter: index for index, letter in enumerate(string.ascii_lowercase)}


def _letter(normalized: pl.Expr, pattern: str) -> pl.Expr:
    return normalized.str.extract(pattern, 1).replace_strict(_LETTER_INDEX, default=None, return_dtype=pl.Int32)


def _option_index(normalized: pl.Expr, letter: pl.Expr, max_options: int) -> pl.Expr:
    """Letter in range, else the first option whose normalized text equals ``normalized``."""
    by_text = [pl.when(pl.col("_options").list.get(k, null_on_oob=True) == normalized).then(pl.lit(k, pl.Int32))
               for k in range(max_options)]
    in_range = pl.when(letter < pl.col("_n_options")).then(letter)
    return pl.coalesce(in_range, *by_text)


KEY = ["extracted", "gold", "_choices_key"]


class DecisionMemo:
    """Decisions of (answer, gold, options) triples already seen, reused by later batches.

    A decision depends on the triple alone, so reusing one is exact; the same gold values and
    answer forms recur across the problems of a large run. Bounded: cleared past ``max_rows``.
    """

    def __init__(self, max_rows: int = 1_000_000) -> None:
        self.max_rows = max_rows
        self.known: pl.DataFrame | None = None

    def decide(self, triples: pl.DataFrame) -> pl.DataFrame:
        """The decisions of ``triples`` (unique on KEY): the known ones looked up, the rest decided."""
        if self.known is None:
            decided = fresh = _decide(triples)
        else:
            new = triples.join(self.known, on=KEY, how="anti", nulls_equal=True)
            fresh = _decide(new) if new.height else self.known.clear()
            reused = self.known.join(triples.select(KEY), on=KEY, how="semi", nulls_equal=True)
            decided = pl.concat([reused, fresh], how="vertical_relaxed")
        grown = fresh if self.known is None else pl.concat([self.known, fresh], how="vertical_relaxed")
        self.known = grown if grown.height <= self.max_rows else decided
        return decided


def fast_verdicts(responses: pl.Series, golds: pl.Series, choices: pl.Series | None = None,
                  memo: DecisionMemo | None = None) -> pl.DataFrame:
    """Columns ``extracted``, ``extract_method``, ``verdict`` (null = pending), ``mv_gold``, ``mv_pred``.

    ``memo`` (optional) carries decisions over from earlier batches.
    """
    rows = extract_series(responses).with_columns(gold=golds.cast(pl.Utf8).fill_null(""))
    if choices is not None:
        rows = rows.with_columns(_choices=choices.fill_null([]).list.eval(pl.element().fill_null("")))
    else:
        rows = rows.with_columns(_choices=pl.lit([], dtype=pl.List(pl.Utf8)))
    # k rollouts of a problem repeat the same (answer, gold, options): decide each triple once
    rows = rows.with_columns(_choices_key=pl.col("_choices").list.join("\x1f"))
    triples = rows.select(*KEY, "_choices").unique(KEY)
    decided = _decide(triples) if memo is None else memo.decide(triples)
    return rows.join(decided, on=KEY, how="left", maintain_order="left", nulls_equal=True).select(
        "extracted", "extract_method", "verdict", "mv_gold", "mv_pred")


def _decide(frame: pl.DataFrame) -> pl.DataFrame:
    # normalize each distinct answer, gold and option list once (the regex chain is the cost),
    # then join: a batch has far fewer of each than (answer, gold, options) triples
    preds = frame.select(pl.col("extracted").unique()).with_columns(
        _pred=normalize_expr(pl.col("extracted")), _pred_pct=pl.col("extracted").str.contains(PERCENT).fill_null(False))
    golds = frame.select(pl.col("gold").unique()).with_columns(
        _gold=normalize_expr(pl.col("gold")), _gold_pct=pl.col("gold").str.contains(PERCENT))
    options = frame.select("_choices_key", "_choices").unique("_choices_key").select(
        "_choices_key", _options=pl.col("_choices").list.eval(normalize_expr(pl.element())),
        _n_options=pl.col("_choices").list.len().cast(pl.Int32))
    frame = frame.join(preds, on="extracted", how="left", nulls_equal=True).join(
        golds, on="gold", how="left", nulls_equal=True).join(options, on="_choices_key", how="left", nulls_equal=True)
    max_options = int(frame["_n_options"].max() or 0)
    pred_letter = _letter(pl.col("_pred"), LETTER)
    mc = pl.col("_n_options") > 0
    frame = frame.with_columns(
        _pred_letter=pl.when(mc).then(pred_letter),
        _gold_index=pl.when(mc).then(_option_index(pl.col("_gold"), _letter(pl.col("_gold"), GOLD_LETTER),
                                                   max_options)),
        _pred_index=pl.when(mc).then(_option_index(pl.col("_pred"), pred_letter, max_options)),
    )
    gold_only = pl.col("_gold_index").is_not_null() & pl.col("_pred_index").is_null()
    frame = frame.with_columns(
        _gold=pl.when(gold_only).then(pl.col("_options").list.get(pl.col("_gold_index"), null_on_oob=True))
        .otherwise(pl.col("_gold")),
        _gold_pct=pl.when(gold_only).then(
            pl.col("_choices").list.get(pl.col("_gold_index"), null_on_oob=True).str.contains(PERCENT))
        .otherwise(pl.col("_gold_pct")),
    )
    gold_value, _ = number_exprs(pl.col("_gold"))
    pred_value, pred_decimals = number_exprs(pl.col("_pred"))
    frame = frame.with_columns(_gv=gold_value, _pv=pred_value, _pd=pred_decimals)
    numbers = pl.col("_gv").is_not_null() & pl.col("_pv").is_not_null()
    number_match = numbers_match_expr(pl.col("_pv"), pl.col("_pd"), pl.col("_gv"), pl.col("_pred_pct"),
                                      pl.col("_gold_pct"))
    both_index = pl.col("_gold_index").is_not_null() & pl.col("_pred_index").is_not_null()
    verdict = (
        pl.when(pl.col("_pred").is_null() | (pl.col("_pred") == "")).then(pl.lit("unparseable"))
        .when(pl.col("_pred_index").is_null() & (pl.col("_pred_letter") >= pl.col("_n_options"))).then(pl.lit("wrong"))
        .when(both_index).then(pl.when(pl.col("_gold_index") == pl.col("_pred_index"))
                               .then(pl.lit("correct")).otherwise(pl.lit("wrong")))
        .when(pl.col("_pred") == pl.col("_gold")).then(pl.lit("correct"))
        .when(numbers).then(pl.when(number_match).then(pl.lit("correct")).otherwise(pl.lit("wrong")))
        .when(pl.col("_pred").is_in(TOKENS) & pl.col("_gold").is_in(TOKENS)).then(pl.lit("wrong"))
        .when((pl.col("_pred").str.len_chars() > MAX_MATH_CHARS) | (pl.col("_gold").str.len_chars() > MAX_MATH_CHARS)
              | (pl.col("_gold") == "") | pl.col("_pred").str.contains(RISKY)
              | pl.col("_gold").str.contains(RISKY)).then(pl.lit("wrong"))
    )
    frame = frame.with_columns(verdict=verdict)
    pending = pl.col("verdict").is_null()
    return frame.select(
        "extracted", "gold", "_choices_key", "verdict",
        pl.when(pending).then(pl.col("_gold")).alias("mv_gold"),
        pl.when(pending).then(pl.col("_pred")).alias("mv_pred"),
    )
