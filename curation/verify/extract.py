"""Find the final answer of a response: the last ``<answer>`` tag, else the last ``\\boxed{}``,
else a final "the answer is ..." phrase. Never a number picked from the middle of the reasoning.

The patterns work unchanged in Python ``re`` and in Polars (Rust regex): "last" means the last
of the leftmost non-overlapping matches (``finditer`` / ``extract_all``), so the scalar
``extract_answer`` and the vectorized ``extract_series`` agree. Only the last ``TAIL_CHARS``
characters are searched, which bounds the work on adversarial inputs.
"""

from __future__ import annotations

import re

import polars as pl

from curation.verify.normalize import portable

TAIL_CHARS = 20_000
# Braces nested up to four levels deep: \boxed{\frac{\sqrt{2}}{2}}; deeper nesting is not an answer.
_NESTED = r"(?:[^{}]|\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\})*"
ANSWER_TAG = portable(r"(?is)<answer>.*?</answer>")
ANSWER_INNER = portable(r"(?is)^<answer>(.*)</answer>$")
BOXED = portable(r"\\(?:boxed|fbox)\s*\{" + _NESTED + r"\}")
BOXED_INNER = portable(r"(?s)^\\(?:boxed|fbox)\s*\{(.*)\}$")
PHRASE = portable(r"(?i)answer\**\s*(?:is|:)\s*\**\s*:?\s*[^\n]{1,200}?\s*(?:\.\s|\.?\s*$|\n)")
PHRASE_INNER = portable(r"(?is)^answer\**\s*(?:is|:)\s*\**\s*:?\s*([^\n]{1,200}?)\s*(?:\.\s|\.?\s*$|\n)$")
TRIM = portable(r"^\s+|\s+$")
METHODS = ("tag", "boxed", "phrase")

_TAG, _TAG_INNER, _BOXED, _BOXED_INNER, _PHRASE, _PHRASE_INNER, _TRIM = (re.compile(p) for p in (
    ANSWER_TAG, ANSWER_INNER, BOXED, BOXED_INNER, PHRASE, PHRASE_INNER, TRIM))


def _last(pattern: re.Pattern[str], text: str) -> str | None:
    last = None
    for last in pattern.finditer(text):  # noqa: B007 - we want the final match
        pass
    return last.group(0) if last else None


def _inner(pattern: re.Pattern[str], match: str) -> str:
    found = pattern.match(match)
    return found.group(1) if found else match


def extract_answer(response: str | None) -> tuple[str | None, str | None]:
    """(answer, method) where method is "tag", "boxed" or "phrase"; (None, None) when there is none.

    An empty ``<answer></answer>`` gives ``("", "tag")``: the model declared an empty answer.
    """
    if not response:
        return None, None
    text = response[-TAIL_CHARS:]
    tag = _last(_TAG, text)
    if tag is not None:
        content = _inner(_TAG_INNER, tag)
        boxed = _last(_BOXED, content)
        return _TRIM.sub("", _inner(_BOXED_INNER, boxed) if boxed is not None else content), "tag"
    boxed = _last(_BOXED, text)
    if boxed is not None:
        return _TRIM.sub("", _inner(_BOXED_INNER, boxed)), "boxed"
    phrase = _last(_PHRASE, _TRIM.sub("", text))
    if phrase is not None:
        return _TRIM.sub("", _inner(_PHRASE_INNER, phrase)), "phrase"
    return None, None


def _last_expr(text: pl.Expr, pattern: str, inner: str) -> pl.Expr:
    match = text.str.extract_all(pattern).list.last()
    return pl.coalesce(match.str.extract(inner, 1), match)


def extract_series(responses: pl.Series) -> pl.DataFrame:
    """Columns ``extracted`` and ``extract_method`` for every response, as ``extract_answer`` does.

    Each later method only runs on the rows the earlier ones left without an answer.
    """
    frame = pl.DataFrame({"text": responses.cast(pl.Utf8)}).with_row_index("_row")
    if frame.height and (frame["text"].str.len_bytes() > TAIL_CHARS).any():
        frame = frame.with_columns(pl.col("text").str.slice(-TAIL_CHARS))
    text = pl.col("text")
    tag = _last_expr(text, ANSWER_TAG, ANSWER_INNER)
    # the full-text scan; streaming runs it on every core
    frame = frame.lazy().with_columns(tag.alias("content")).collect(engine="streaming")
    content = pl.col("content")
    frame = frame.with_columns(pl.coalesce(_last_expr(content, BOXED, BOXED_INNER), content)
                               .str.replace_all(TRIM, "").alias("extracted"),
                               pl.when(content.is_not_null()).then(pl.lit("tag")).alias("extract_method"))
    rest = frame.filter(pl.col("extracted").is_null() & text.is_not_null())
    if rest.height:
        rest = rest.with_columns(_last_expr(text, BOXED, BOXED_INNER).alias("boxed"))
        rest = rest.with_columns(_last_expr(text.str.replace_all(TRIM, ""), PHRASE, PHRASE_INNER).alias("phrase"))
        rest = rest.select(
            "_row",
            pl.coalesce("boxed", "phrase").str.replace_all(TRIM, "").alias("extracted"),
            pl.when(pl.col("boxed").is_not_null()).then(pl.lit("boxed"))
            .when(pl.col("phrase").is_not_null()).then(pl.lit("phrase")).alias("extract_method"))
        frame = frame.update(rest, on="_row")
    return frame.select("extracted", "extract_method")
