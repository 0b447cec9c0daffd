"""Answer normalization, written once as regex steps and applied two ways.

Every step is a (pattern, replacement) pair in the syntax that both Python's
``re`` and Polars' Rust regex accept (no look-around, no back-references), so
the scalar path (``normalize_answer``) and the vectorized fast path
(``normalize_expr``) produce the same string for the same input. Replacements
use ``${1}``; Python gets it translated to ``\\g<1>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

WHITESPACE = "[\\t\\n\\v\\f\\r \\u00a0]"
# Typographic spaces (thin, narrow no-break, ...): in answers they separate thousands ("48 100").
UNICODE_SPACES = "[\\u2000-\\u200a\\u202f\\u205f\\u3000]"


def portable(pattern: str) -> str:
    """Make ``\\s`` and ``\\d`` mean the same in Python and Rust regex (ASCII digits, listed spaces)."""
    classes = {"s": WHITESPACE, "d": "[0-9]"}
    # only an unescaped \s or \d: "\\degree" is a literal backslash followed by "degree"
    return re.sub(r"(?<!\\)((?:\\\\)*)\\([sd])", lambda m: m.group(1) + classes[m.group(2)], pattern)


_TEXT = "text|textbf|textrm|textnormal|textit|textsf|mathrm|mathbf|mathit|operatorname|mbox"
# Word boundaries are spelled out (ASCII): "\\b" differs between Python and Rust around non-ASCII
# characters. The neighbours a match takes are put back by the replacement.
PERCENT = portable(r"\\%|%|(^|[^A-Za-z0-9_])(?:percent(?:age)?|pct)($|[^A-Za-z0-9_])")
# Order matters: unwrap containers first, drop decorations, then lowercase and trim.
STEPS: tuple[tuple[str, str], ...] = (
    (r"(?s)^\s*\\boxed\s*\{(.*)\}\s*$", "${1}"),
    ("\u2212", "-"),
    (UNICODE_SPACES, " "),
    (r"(\\)[dtc](frac)", "${1}${2}"),
    (r"\\left|\\right", ""),
    # LaTeX thousands separators: 48{,}100 and 1,\!234 keep their comma (dropped below for numbers)
    (r"\{,\}|,\\!\s*", ","),
    (r"\\[,;:! ]", ""),
    # after a digit with a space: "9\\text{m}" is a number and a unit, as "9 m"
    (r"(\d)\s*\\(?:" + _TEXT + r")\s*\{([^{}]*)\}", "${1} ${2}"),
    (r"\\(?:" + _TEXT + r")\s*\{([^{}]*)\}", "${1}"),
    (r"\\\$|\$|\\\(|\\\)|\\\[|\\\]|\u20ac|\u00a3|\u00a5", ""),
    (r"\^\s*\{?\s*\\circ\s*\}?|\\circ|\u00b0|\\degree", ""),
    (PERCENT, "${1}${2}"),
    (r"\s+", " "),
    (r"^\s+|\s+$", ""),
    (r"^\*+|\*+$", ""),
    (r"(?i)^(?:the\s+)?(?:final\s+)?answer\s*(?:is|:)\s*:?\s*", ""),
    (r"(?i)^(?:option|choice)\s+", ""),
)
# After STEPS: "x = 5" -> "5" unless the right side holds a variable ("y = 2 - x/2" stays an equation).
LHS = r"(?s)^[A-Za-z]\s*=\s*(.*)$"
LATEX_COMMAND = r"\\[A-Za-z]+"
WORD = r"[A-Za-z]{2,}"
LETTER_ANY = r"[A-Za-z]"
TAIL_STEPS: tuple[tuple[str, str], ...] = (
    (r"(?:\.|\s)+$", ""),
    (r"^\+", ""),
)
STEPS = tuple((portable(p), r) for p, r in STEPS)
TAIL_STEPS = tuple((portable(p), r) for p, r in TAIL_STEPS)
# A number, with its thousands grouped by commas or by spaces ("1,234", "2 500"), or a mixed number.
_VALUE = (r"-?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?: \d{3})+(?:\.\d+)?|\d+ \d+/\d+|\d+/\d+"
          r"|\d+(?:\.\d*)?|\.\d+)")
# Thousands separators of a whole-number answer ("1,234,567", "2 500"), dropped by one anchored
# replacement (no separator is touched unless the whole answer is such a number). Groups that do not
# take part expand to "" in both engines.
_GROUPS = 7


def _grouped(separator: str) -> str:
    tail = "".join(f"(?:{separator}(\\d{{3}}))?" for _ in range(_GROUPS - 1))
    return portable(f"^(-?\\d{{1,3}}){separator}(\\d{{3}}){tail}(\\.\\d+)?$")


THOUSANDS = _grouped(",")
SPACED_THOUSANDS = _grouped(" ")
UNGROUPED = "".join(f"${{{i}}}" for i in range(1, _GROUPS + 3))
# A value followed by unit words ("5 cm", "12 square units", "3 cm^2", "60 km/h"); "pi" is not a unit. A
# one-letter unit (m, g, s, l, h) needs a space before it: "2n" and "3h" stay expressions.
_WORD_NOT_PI = r"(?:[a-oq-z][a-z]+|p(?:[a-hj-z][a-z]*|i[a-z]+))"
_PER = r"(?:/[a-z]{1,4}(?:\^?[23])?)?"
UNITS = portable(r"^(" + _VALUE + r")(?:\s*" + _WORD_NOT_PI + r"\.?" + _PER + r"|\s+[mgslh]\.?" + _PER
                 + r"){1,3}\s*(?:\^?\{?[23]\}?)?$")
DEGREES_WORD = portable(r"^(-?(?:\d+(?:\.\d*)?|\.\d+))\s*degrees?$")

NUMBER = portable(r"^-?(?:\d{1,20}(?:\.\d{0,20})?|\.\d{1,20})(?:e[-+]?\d{1,2})?$")
FRACTION = portable(r"^(-?)(?:\\frac\{(\d{1,12})\}\{(\d{1,12})\}|(\d{1,12})\s*/\s*(\d{1,12}))$")
# "3 1/2" and "3\frac{1}{2}": a whole part and a proper fraction (7/2), never 3 * 1/2
MIXED = portable(r"^(-?)(\d{1,12})(?: (\d{1,12})/(\d{1,12})| ?\\frac\{(\d{1,12})\}\{(\d{1,12})\})$")
DECIMALS = portable(r"\.(\d+)$")
# Letters that name an option: "b", "(b)", "b)", "b.", "b: 12"
LETTER = portable(r"^\(?([a-z])(?:\)|:|\.|$)")
GOLD_LETTER = portable(r"^\(?([a-z])\)?$")
# Inputs whose evaluation can run for minutes inside C code (big-int powers, factorials), where
# no signal can stop it: nested or parenthesized exponents, exponents >= 1000, n! with n >= 100.
RISKY = portable(r"\^\s*\{[^}]*\^|\^\s*\(|\^\s*\^|\^\s*\{?\s*\d{4,}|\d{3,}\s*!|\*\*|\\exp|\\uparrow")
# Distinct tokens of this set can be called wrong without math-verify.
TOKENS = ("a", "b", "c", "d", "e", "yes", "no")


def _python_repl(replacement: str) -> str:
    return re.sub(r"\$\{(\d+)\}", r"\\g<\1>", replacement)


_COMPILED = tuple((re.compile(p), _python_repl(r)) for p, r in STEPS)
_COMPILED_TAIL = tuple((re.compile(p), _python_repl(r)) for p, r in TAIL_STEPS)
_PERCENT, _THOUSANDS, _SPACED = re.compile(PERCENT), re.compile(THOUSANDS), re.compile(SPACED_THOUSANDS)
_UNITS, _DEGREES = re.compile(UNITS), re.compile(DEGREES_WORD)
_NUMBER, _FRACTION, _MIXED, _DECIMALS = re.compile(NUMBER), re.compile(FRACTION), re.compile(MIXED), \
    re.compile(DECIMALS)
_LETTER, _GOLD_LETTER = re.compile(LETTER), re.compile(GOLD_LETTER)
_UNGROUPED = _python_repl(UNGROUPED)
_LHS, _LATEX_COMMAND, _WORD, _LETTER_ANY = (re.compile(p) for p in (LHS, LATEX_COMMAND, WORD, LETTER_ANY))


def _strip_lhs(text: str) -> str:
    found = _LHS.match(text)
    if found and not _LETTER_ANY.search(_WORD.sub("", _LATEX_COMMAND.sub("", found.group(1)))):
        return found.group(1)
    return text


def normalize_answer(text: str) -> str:
    """Canonical form of an answer: no LaTeX decoration, units, separators or case."""
    for pattern, replacement in _COMPILED:
        text = pattern.sub(replacement, text)
    text = _strip_lhs(text)
    for pattern, replacement in _COMPILED_TAIL:
        text = pattern.sub(replacement, text)
    text = text.lower()
    text = _DEGREES.sub(r"\g<1>", text)
    text = _UNITS.sub(r"\g<1>", text)
    text = _THOUSANDS.sub(_UNGROUPED, text)
    return _SPACED.sub(_UNGROUPED, text)


def normalize_expr(text: pl.Expr) -> pl.Expr:
    """The same normalization as ``normalize_answer``, as a Polars expression."""
    for pattern, replacement in STEPS:
        text = text.str.replace_all(pattern, replacement)
    rest = text.str.extract(LHS, 1)
    has_variable = rest.str.replace_all(LATEX_COMMAND, "").str.replace_all(WORD, "").str.contains(LETTER_ANY)
    text = pl.when(rest.is_not_null() & ~has_variable).then(rest).otherwise(text)
    for pattern, replacement in TAIL_STEPS:
        text = text.str.replace_all(pattern, replacement)
    # unconditional anchored replacements: a pl.when per step would copy the whole chain into each branch
    text = text.str.to_lowercase().str.replace(DEGREES_WORD, "${1}").str.replace(UNITS, "${1}")
    return text.str.replace(THOUSANDS, UNGROUPED).str.replace(SPACED_THOUSANDS, UNGROUPED)


def has_percent(text: str) -> bool:
    return bool(_PERCENT.search(text))


@dataclass(frozen=True)
class Number:
    value: float
    decimals: int  # digits after the point as written; 0 for integers and fractions


def parse_number(normalized: str) -> Number | None:
    """A plain decimal, a simple fraction (``3/4``, ``\\frac{3}{4}``) or a mixed number (``3 1/2`` = 7/2,
    with a proper fraction part); anything else is None."""
    if _NUMBER.match(normalized):
        found = _DECIMALS.search(normalized)
        return Number(float(normalized), len(found.group(1)) if found else 0)
    found = _FRACTION.match(normalized)
    if found:
        sign, a1, b1, a2, b2 = found.groups()
        denominator = float(b1 or b2)
        if denominator == 0:
            return None
        return Number((-1.0 if sign else 1.0) * float(a1 or a2) / denominator, 0)
    found = _MIXED.match(normalized)
    if found:
        sign, whole, a1, b1, a2, b2 = found.groups()
        numerator, denominator = float(a1 or a2), float(b1 or b2)
        if not 0 <= numerator < denominator:
            return None
        return Number((-1.0 if sign else 1.0) * (float(whole) + numerator / denominator), 0)
    return None


def number_exprs(normalized: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(value, decimals) of ``parse_number`` as Polars expressions (null when not a number)."""
    plain = normalized.str.contains(NUMBER)
    numerator = pl.coalesce(normalized.str.extract(FRACTION, 2), normalized.str.extract(FRACTION, 4))
    denominator = pl.coalesce(normalized.str.extract(FRACTION, 3), normalized.str.extract(FRACTION, 5))
    sign = pl.when(normalized.str.extract(FRACTION, 1) == "-").then(-1.0).otherwise(1.0)
    fraction = pl.when(denominator.cast(pl.Float64) != 0).then(
        sign * numerator.cast(pl.Float64) / denominator.cast(pl.Float64))
    whole = normalized.str.extract(MIXED, 2).cast(pl.Float64)
    part_top = pl.coalesce(normalized.str.extract(MIXED, 3), normalized.str.extract(MIXED, 5)).cast(pl.Float64)
    part_bottom = pl.coalesce(normalized.str.extract(MIXED, 4), normalized.str.extract(MIXED, 6)).cast(pl.Float64)
    mixed_sign = pl.when(normalized.str.extract(MIXED, 1) == "-").then(-1.0).otherwise(1.0)
    mixed = pl.when((part_top >= 0) & (part_top < part_bottom)).then(
        mixed_sign * (whole + part_top / part_bottom))
    value = pl.when(plain).then(normalized.cast(pl.Float64, strict=False)) \
        .when(normalized.str.contains(FRACTION)).then(fraction).otherwise(mixed)
    decimals = pl.when(plain).then(normalized.str.extract(DECIMALS, 1).str.len_chars().fill_null(0)) \
        .otherwise(pl.lit(0)).cast(pl.Int32)
    return value, decimals


REL_TOL = 1e-4


def numbers_match(pred: Number, gold: Number, pred_pct: bool, gold_pct: bool) -> bool:
    """Equal within REL_TOL, or ``pred`` is ``gold`` rounded to pred's (>= 2) decimals; a percent
    side may stand for value or value/100 (``50%`` = ``0.5`` = ``50``)."""
    golds = [gold.value] + ([gold.value / 100] if gold_pct else [])
    preds = [pred.value] + ([pred.value / 100] if pred_pct else [])
    for g in golds:
        for p in preds:
            if abs(p - g) <= REL_TOL * max(abs(g), 1e-12) or p == g:
                return True
    if pred.decimals >= 2 and not pred_pct and not gold_pct:
        return abs(pred.value - gold.value) <= 0.5 * 10 ** -pred.decimals + 1e-12
    return False


def numbers_match_expr(pred: pl.Expr, pred_dec: pl.Expr, gold: pl.Expr, pred_pct: pl.Expr,
                       gold_pct: pl.Expr) -> pl.Expr:
    """``numbers_match`` as a Polars expression."""
    def close(p: pl.Expr, g: pl.Expr) -> pl.Expr:
        return ((p - g).abs() <= REL_TOL * pl.max_horizontal(g.abs(), pl.lit(1e-12))) | (p == g)

    match = close(pred, gold) | (gold_pct & close(pred, gold / 100)) | (pred_pct & close(pred / 100, gold)) \
        | (gold_pct & pred_pct & close(pred / 100, gold / 100))
    rounded = (pred_dec >= 2) & ~pred_pct & ~gold_pct & \
        ((pred - gold).abs() <= 0.5 * pl.lit(10.0).pow(-pred_dec.cast(pl.Float64)) + 1e-12)
    return match | rounded


def option_letter(normalized: str, pattern: re.Pattern[str] = _LETTER) -> int | None:
    found = pattern.match(normalized)
    return ord(found.group(1)) - ord("a") if found else None


def gold_letter(normalized: str) -> int | None:
    return option_letter(normalized, _GOLD_LETTER)
