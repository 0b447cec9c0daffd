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


def portable(pattern: str) -> str:
    """Make ``\\s`` and ``\\d`` mean the same in Python and Rust regex (ASCII digits, listed spaces)."""
    classes = {"s": WHITESPACE, "d": "[0-9]"}
    # only an unescaped \s or \d: "\\degree" is a literal backslash followed by "degree"
    return re.sub(r"(?<!\\)((?:\\\\)*)\\([sd])", lambda m: m.group(1) + classes[m.group(2)], pattern)


# Order matters: unwrap containers first, drop decorations, then lowercase and trim.
STEPS: tuple[tuple[str, str], ...] = (
    (r"(?s)^\s*\\boxed\s*\{(.*)\}\s*$", "${1}"),
    ("\u2212", "-"),
    (r"(\\)[dt](frac)", "${1}${2}"),
    (r"\\left|\\right", ""),
    (r"\\[,;:! ]", ""),
    (r"\\(?:text|textbf|textrm|mathrm|mathbf|operatorname|mbox)\s*\{([^{}]*)\}", "${1}"),
    (r"\$|\\\(|\\\)|\\\[|\\\]", ""),
    (r"\^\s*\{?\s*\\circ\s*\}?|\\circ|\u00b0|\\degree", ""),
    (r"\\%|%|\bpercent\b", ""),
    (r"\s+", " "),
    (r"^\s+|\s+$", ""),
    (r"^\*+|\*+$", ""),
    (r"(?i)^(?:the\s+)?(?:final\s+)?answer\s*(?:is|:)\s*:?\s*", ""),
    (r"(?i)^(?:option|choice)\s+", ""),
    (r"^[A-Za-z]\s*=\s*", ""),
    (r"(?:\.|\s)+$", ""),
    (r"^\+", ""),
)
STEPS = tuple((portable(p), r) for p, r in STEPS)
PERCENT = portable(r"\\%|%|\bpercent\b")
THOUSANDS = portable(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
# A number followed by unit words ("5 cm", "12 square units", "3 cm^2"); "pi" is not a unit.
UNITS = portable(r"^(-?(?:\d+(?:\.\d*)?|\.\d+))\s*(?:[a-z]{2,}\.?\s*){1,3}(?:\^?\{?[23]\}?)?$")
NOT_UNIT = portable(r"\bpi\b")
DEGREES_WORD = portable(r"^(-?(?:\d+(?:\.\d*)?|\.\d+))\s*degrees?$")

NUMBER = portable(r"^-?(?:\d{1,20}(?:\.\d{0,20})?|\.\d{1,20})(?:e[-+]?\d{1,2})?$")
FRACTION = portable(r"^(-?)(?:\\frac\{(\d{1,12})\}\{(\d{1,12})\}|(\d{1,12})\s*/\s*(\d{1,12}))$")
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
_PERCENT, _THOUSANDS = re.compile(PERCENT), re.compile(THOUSANDS)
_UNITS, _NOT_UNIT, _DEGREES = re.compile(UNITS), re.compile(NOT_UNIT), re.compile(DEGREES_WORD)
_NUMBER, _FRACTION, _DECIMALS = re.compile(NUMBER), re.compile(FRACTION), re.compile(DECIMALS)
_LETTER, _GOLD_LETTER = re.compile(LETTER), re.compile(GOLD_LETTER)


def normalize_answer(text: str) -> str:
    """Canonical form of an answer: no LaTeX decoration, units, separators or case."""
    for pattern, replacement in _COMPILED:
        text = pattern.sub(replacement, text)
    text = text.lower()
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    if _DEGREES.match(text):
        text = _DEGREES.sub(r"\g<1>", text)
    if _UNITS.match(text) and not _NOT_UNIT.search(text):
        text = _UNITS.sub(r"\g<1>", text)
    return text


def normalize_expr(text: pl.Expr) -> pl.Expr:
    """The same normalization as ``normalize_answer``, as a Polars expression."""
    for pattern, replacement in STEPS:
        text = text.str.replace_all(pattern, replacement)
    text = text.str.to_lowercase()
    text = pl.when(text.str.contains(THOUSANDS)).then(text.str.replace_all(",", "", literal=True)).otherwise(text)
    text = pl.when(text.str.contains(DEGREES_WORD)).then(text.str.replace(DEGREES_WORD, "${1}")).otherwise(text)
    return pl.when(text.str.contains(UNITS) & ~text.str.contains(NOT_UNIT)) \
        .then(text.str.replace(UNITS, "${1}")).otherwise(text)


def has_percent(text: str) -> bool:
    return bool(_PERCENT.search(text))


@dataclass(frozen=True)
class Number:
    value: float
    decimals: int  # digits after the point as written; 0 for integers and fractions


def parse_number(normalized: str) -> Number | None:
    """A plain decimal or a simple fraction (``3/4``, ``\\frac{3}{4}``); anything else is None."""
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
    return None


def number_exprs(normalized: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(value, decimals) of ``parse_number`` as Polars expressions (null when not a number)."""
    plain = normalized.str.contains(NUMBER)
    numerator = pl.coalesce(normalized.str.extract(FRACTION, 2), normalized.str.extract(FRACTION, 4))
    denominator = pl.coalesce(normalized.str.extract(FRACTION, 3), normalized.str.extract(FRACTION, 5))
    sign = pl.when(normalized.str.extract(FRACTION, 1) == "-").then(-1.0).otherwise(1.0)
    fraction = pl.when(denominator.cast(pl.Float64) != 0).then(
        sign * numerator.cast(pl.Float64) / denominator.cast(pl.Float64))
    value = pl.when(plain).then(normalized.cast(pl.Float64, strict=False)).otherwise(fraction)
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
