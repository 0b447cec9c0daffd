"""Find the final answer of a response: the last ``<answer>`` tag, else the last ``\\boxed{}``,
else a final "the answer is ..." phrase, else a closing sentence that states it ("So the smallest
value is 12."). Never a number picked from the middle of the reasoning.

Before searching, what follows the end of the answer is cut: chat-template tokens and the turns
after them (``<|im_end|>``, ``<|im_start|>user ...``) and the Minerva stop sentence ("I hope it is
correct.") with any few-shot continuation after it.

The patterns work unchanged in Python ``re`` and in Polars (Rust regex): "last" means the last
of the leftmost non-overlapping matches (``finditer`` / ``extract_all``), so the scalar
``extract_answer`` and the vectorized ``extract_series`` agree. Only the last ``TAIL_CHARS``
characters are searched, which bounds the work on adversarial inputs.
"""

from __future__ import annotations

import re

import polars as pl

from curation.verify.normalize import WHITESPACE, portable
from curation.verify.trace_format import ANSWER_INNER, ANSWER_TAG, THINK_CLOSE, THINK_OPEN

TAIL_CHARS = 20_000
SENTENCE_CHARS = 600  # a closing sentence is looked for in this many final characters
# Braces nested up to four levels deep: \boxed{\frac{\sqrt{2}}{2}}; deeper nesting is not an answer.
_NESTED = r"(?:[^{}]|\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\})*"
# A chat template's end-of-turn or start-of-turn token ends the response; so does Minerva's stop sentence.
END_OF_ANSWER = portable(r"(?s)(?:<\|(?:im_end|im_start|endoftext|eot_id|end_of_text|start_header_id|end|eos)\|>"
                         r"|</s>|<end_of_turn>|<start_of_turn>|I hope it is correct).*$")
LEADING_HEADER = portable(r"^\s*<\|im_start\|>assistant\s*")
BOXED = portable(r"\\(?:boxed|fbox)\s*\{" + _NESTED + r"\}")
BOXED_INNER = portable(r"(?s)^\\(?:boxed|fbox)\s*\{(.*)\}$")
PHRASE = portable(r"(?i)answer\**\s*(?:is|:)\s*\**\s*:?\s*[^\n]{1,200}?\s*(?:\.\s|\.?\s*$|\n)")
PHRASE_INNER = portable(r"(?is)^answer\**\s*(?:is|:)\s*\**\s*:?\s*([^\n]{1,200}?)\s*(?:\.\s|\.?\s*$|\n)$")
# The last sentence of a text: '.', '!' or '?' end a sentence only before a space or the end ("3.5" does not).
LAST_SENTENCE = portable(r"(?:[^.!?\n]|[.!?][^.!?" + WHITESPACE[1:-1] + r"])+[.!?]*\s*$")
# A stated answer: a word like "is", "so", "therefore", "which" or "=", then the first number or $math$
# after it, and no other number, "$" or "=" up to the end of the sentence ("... is 12 cm.").
_STATED = (r"\$(?:[^$\\]|\\.)+\$"
           r"|-?\d+\s+\d+\s*/\s*\d+"
           r"|-?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?:\s*\\?%)?"
           r"|-?\d{1,3}(?:[ \u2009\u202f]\d{3})+(?:\.\d+)?(?:\s*\\?%)?"
           r"|-?\d+(?:\.\d+)?(?:\s*/\s*\d+)?(?:\s*\\?%)?")
# (Word boundaries are spelled out: "\\b" differs between Python and Rust next to non-ASCII characters.)
CLOSING = portable(r"(?i)(?:(?:^|[^a-z0-9_])(?:so|therefore|thus|hence|which|is|are|was|were|equals|gives|makes|gets?)"
                   r"|=)(?:[^a-z0-9_$=-][^0-9$=]*?)?(" + _STATED + r")[^0-9$=]*$")
# A phrase's content that is itself a sentence ("Final Answer: The volume is 120.") gives its stated answer.
SENTENCE_START = portable(r"(?i)^(?:the|there|it|this|that|so|thus|hence|therefore)(?:[^a-z0-9_]|$)")
TRIM = portable(r"^\s+|\s+$")
METHODS = ("tag", "boxed", "phrase", "sentence")

_TAG, _TAG_INNER, _BOXED, _BOXED_INNER, _PHRASE, _PHRASE_INNER, _TRIM = (re.compile(p) for p in (
    ANSWER_TAG, ANSWER_INNER, BOXED, BOXED_INNER, PHRASE, PHRASE_INNER, TRIM))
_END, _HEADER, _LAST_SENTENCE, _CLOSING, _SENTENCE_START = (re.compile(p) for p in (
    END_OF_ANSWER, LEADING_HEADER, LAST_SENTENCE, CLOSING, SENTENCE_START))


def _last(pattern: re.Pattern[str], text: str) -> str | None:
    last = None
    for last in pattern.finditer(text):  # noqa: B007 - we want the final match
        pass
    return last.group(0) if last else None


def _inner(pattern: re.Pattern[str], match: str) -> str:
    found = pattern.match(match)
    return found.group(1) if found else match


def answer_part(text: str) -> str:
    """``text`` without a leading assistant header and without everything after the end of the answer."""
    return _END.sub("", _HEADER.sub("", text, count=1), count=1)


def _stated(sentence: str) -> str | None:
    found = _CLOSING.search(sentence)
    return found.group(1) if found else None


def _closing_sentence(text: str) -> str | None:
    """The answer a closing sentence states; reasoning inside ``<think>`` never counts."""
    if THINK_OPEN in text and THINK_CLOSE not in text:
        return None
    sentence = _LAST_SENTENCE.search(text.split(THINK_CLOSE)[-1][-SENTENCE_CHARS:])
    return _stated(sentence.group(0)) if sentence else None


def _phrase_answer(content: str) -> str:
    if _SENTENCE_START.search(content):
        return _stated(content) or content
    return content


def extract_answer(response: str | None) -> tuple[str | None, str | None]:
    """(answer, method) where method is "tag", "boxed", "phrase" or "sentence"; (None, None) when there is none.

    An empty ``<answer></answer>`` gives ``("", "tag")``: the model declared an empty answer.
    """
    if not response:
        return None, None
    text = answer_part(response)[-TAIL_CHARS:]
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
        return _TRIM.sub("", _phrase_answer(_TRIM.sub("", _inner(_PHRASE_INNER, phrase)))), "phrase"
    stated = _closing_sentence(text)
    if stated is not None:
        return _TRIM.sub("", stated), "sentence"
    return None, None


def _last_expr(text: pl.Expr, pattern: str, inner: str) -> pl.Expr:
    match = text.str.extract_all(pattern).list.last()
    return pl.coalesce(match.str.extract(inner, 1), match)


def _closing_expr(text: pl.Expr) -> pl.Expr:
    after_think = text.str.split(THINK_CLOSE).list.last().str.slice(-SENTENCE_CHARS)
    sentence = after_think.str.extract(LAST_SENTENCE, 0)
    unfinished = text.str.contains(THINK_OPEN, literal=True) & ~text.str.contains(THINK_CLOSE, literal=True)
    return pl.when(~unfinished).then(sentence.str.extract(CLOSING, 1))


def extract_series(responses: pl.Series) -> pl.DataFrame:
    """Columns ``extracted`` and ``extract_method`` for every response, as ``extract_answer`` does.

    Each later method only runs on the rows the earlier ones left without an answer.
    """
    frame = pl.DataFrame({"text": responses.cast(pl.Utf8)}).with_row_index("_row")
    # the full-text scans; streaming runs them on every core
    frame = frame.lazy().with_columns(
        pl.col("text").str.replace(LEADING_HEADER, "").str.replace(END_OF_ANSWER, "").alias("text")
    ).collect(engine="streaming")
    if frame.height and (frame["text"].str.len_chars() > TAIL_CHARS).any():
        frame = frame.with_columns(pl.col("text").str.slice(-TAIL_CHARS))
    text = pl.col("text")
    tag = _last_expr(text, ANSWER_TAG, ANSWER_INNER)
    frame = frame.lazy().with_columns(tag.alias("content")).collect(engine="streaming")
    content = pl.col("content")
    frame = frame.with_columns(pl.coalesce(_last_expr(content, BOXED, BOXED_INNER), content)
                               .str.replace_all(TRIM, "").alias("extracted"),
                               pl.when(content.is_not_null()).then(pl.lit("tag")).alias("extract_method"))
    rest = frame.filter(pl.col("extracted").is_null() & text.is_not_null() & (text != ""))
    if rest.height:
        rest = rest.with_columns(_last_expr(text, BOXED, BOXED_INNER).alias("boxed"))
        phrase = _last_expr(text.str.replace_all(TRIM, ""), PHRASE, PHRASE_INNER).str.replace_all(TRIM, "")
        rest = rest.with_columns(phrase.alias("phrase"), _closing_expr(text).alias("sentence"))
        phrase = pl.col("phrase")
        phrase = pl.when(phrase.str.contains(SENTENCE_START)) \
            .then(pl.coalesce(phrase.str.extract(CLOSING, 1), phrase)).otherwise(phrase)
        rest = rest.select(
            "_row",
            pl.coalesce("boxed", phrase, "sentence").str.replace_all(TRIM, "").alias("extracted"),
            pl.when(pl.col("boxed").is_not_null()).then(pl.lit("boxed"))
            .when(pl.col("phrase").is_not_null()).then(pl.lit("phrase"))
            .when(pl.col("sentence").is_not_null()).then(pl.lit("sentence")).alias("extract_method"))
        frame = frame.update(rest, on="_row")
    return frame.select("extracted", "extract_method")
