"""The trace format, defined once: ``<think>reasoning</think>`` then ``<answer>final answer</answer>``.

The rule is the one VLM-R1 and EasyR1's r1v format reward state as a full match,
``<think>.*?</think>\\s*<answer>.*?</answer>``, made exact for curation:

- optional whitespace, then exactly one ``<think>…</think>`` block holding some non-blank reasoning;
- only whitespace between ``</think>`` and ``<answer>`` (no summary sentence there);
- exactly one ``<answer>…</answer>``, not blank;
- nothing but whitespace after ``</answer>``;
- no chat-template special token anywhere (``<|im_end|>``, ``</s>``, ``[INST]`` …). TRL decodes
  completions with ``skip_special_tokens=True``, so an end-of-turn token never reaches a reward;
  a literal one in a stored trace is a leftover that SFT would teach the model to write.

Tags are matched case-sensitively, as every reference reward does. Four forms, equal by test
(tests/verify/test_trace_format.py): ``issue_expr`` (Polars, the format filter), ``check``
(Python; the GRPO reward), ``PATTERN`` (one Python regex; the Great Expectations check) and
``render`` (writers such as the synthetic teacher). ``RULES`` lists the checks in order; the first
one a trace fails names its ``format_issue``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import polars as pl

from curation.verify.normalize import WHITESPACE, portable

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"
# What a prompt asks for: the bundled reason templates end with it, and training puts it after the question.
INSTRUCTION = (f"Think step by step inside {THINK_OPEN} {THINK_CLOSE} tags, then give the final answer inside "
               f"{ANSWER_OPEN} {ANSWER_CLOSE} tags.")
# The reasoning of a response (group 1): after the first <think>, up to </think> or, when the block is
# never closed, the end of the text. Read by the length filter (``count: think``) and the review view.
THINK_PART = rf"(?s){THINK_OPEN}(.*?)(?:{THINK_CLOSE}|$)"
# Answer extraction (curation.verify.extract) finds the last answer tag with these, case-insensitively.
ANSWER_TAG = portable(rf"(?is){ANSWER_OPEN}.*?{ANSWER_CLOSE}")
ANSWER_INNER = portable(rf"(?is)^{ANSWER_OPEN}(.*){ANSWER_CLOSE}$")
_WS = WHITESPACE
_WS_CHARS = "\t\n\v\f\r \u00a0"  # the characters of WHITESPACE, for str.strip
_NON_WS = "[^" + WHITESPACE[1:]
# Chat-template and tokenizer specials of Qwen, Llama, Mistral, T5-style models.
SPECIAL_TOKENS = r"<\|[^|<>" + WHITESPACE[1:-1] + r"]{1,40}\|>|</?s>|\[/?INST\]|<pad>|<unk>"


@dataclass(frozen=True)
class Rule:
    """One check. ``kind`` says when a trace fails it:

    - ``lacks``: no match of ``pattern``; ``contains``: a match of ``pattern``;
    - ``count_not_one`` / ``count_zero`` / ``count_over_one``: how often a literal of ``tags`` occurs.
    """

    name: str
    kind: Literal["lacks", "contains", "count_not_one", "count_zero", "count_over_one"]
    pattern: str = ""
    tags: tuple[str, ...] = ()


# Patterns are written once, in the regex syntax Python's ``re`` and Polars (Rust) share.
RULES: tuple[Rule, ...] = (
    Rule("empty_response", "lacks", _NON_WS),
    Rule("special_token", "contains", SPECIAL_TOKENS),
    Rule("think_block_count", "count_not_one", tags=(THINK_OPEN, THINK_CLOSE)),
    Rule("think_not_first", "lacks", f"^{_WS}*{THINK_OPEN}"),
    Rule("missing_answer_tag", "count_zero", tags=(ANSWER_OPEN, ANSWER_CLOSE)),
    Rule("several_answer_tags", "count_over_one", tags=(ANSWER_OPEN, ANSWER_CLOSE)),
    Rule("answer_inside_think", "lacks", f"(?s){THINK_CLOSE}.*{ANSWER_OPEN}"),
    Rule("answer_tags_out_of_order", "lacks", f"(?s){ANSWER_OPEN}.*{ANSWER_CLOSE}"),
    Rule("empty_think", "contains", f"{THINK_OPEN}{_WS}*{THINK_CLOSE}"),
    Rule("empty_answer", "contains", f"{ANSWER_OPEN}{_WS}*{ANSWER_CLOSE}"),
    Rule("text_between_think_and_answer", "lacks", f"{THINK_CLOSE}{_WS}*{ANSWER_OPEN}"),
    Rule("text_after_answer", "contains", f"{ANSWER_CLOSE}{_WS}*{_NON_WS}"),
)
ISSUES = tuple(rule.name for rule in RULES)

_TAG = r"</?think>|</?answer>"
# The same rule as one Python regex (look-arounds; Polars cannot run it). A trace is well formed
# exactly when this matches it with re.search (pandas' str.contains, as Great Expectations uses).
PATTERN = (f"(?s)^(?!.*(?:{SPECIAL_TOKENS})){_WS}*{THINK_OPEN}(?!{_WS}*{THINK_CLOSE})(?:(?!{_TAG}).)*{THINK_CLOSE}"
           f"{_WS}*{ANSWER_OPEN}(?!{_WS}*{ANSWER_CLOSE})(?:(?!{_TAG}).)*{ANSWER_CLOSE}{_WS}*\\Z")

_COMPILED = {rule.pattern: re.compile(rule.pattern) for rule in RULES if rule.pattern}


def _fails(rule: Rule, text: str) -> bool:
    if rule.kind == "lacks":
        return _COMPILED[rule.pattern].search(text) is None
    if rule.kind == "contains":
        return _COMPILED[rule.pattern].search(text) is not None
    counts = [text.count(tag) for tag in rule.tags]
    if rule.kind == "count_not_one":
        return any(c != 1 for c in counts)
    if rule.kind == "count_zero":
        return any(c == 0 for c in counts)
    return any(c > 1 for c in counts)


def check(text: str | None) -> tuple[bool, str | None]:
    """``(True, None)`` for a well-formed trace, else ``(False, issue)`` naming the first failed rule."""
    if text is None:
        return False, RULES[0].name
    for rule in RULES:
        if _fails(rule, text):
            return False, rule.name
    return True, None


def is_well_formed(text: str | None) -> bool:
    return check(text)[0]


def _fails_expr(rule: Rule, text: pl.Expr) -> pl.Expr:
    if rule.kind == "lacks":
        return ~text.str.contains(rule.pattern)
    if rule.kind == "contains":
        return text.str.contains(rule.pattern)
    counts = [text.str.count_matches(tag, literal=True) for tag in rule.tags]
    if rule.kind == "count_not_one":
        tests = [c != 1 for c in counts]
    elif rule.kind == "count_zero":
        tests = [c == 0 for c in counts]
    else:
        tests = [c > 1 for c in counts]
    return pl.any_horizontal(tests)


def issue_expr(text: pl.Expr) -> pl.Expr:
    """The first failed rule's name per row (a null text is ``empty_response``), null when well formed."""
    first = RULES[0]
    issue = pl.when(text.is_null() | _fails_expr(first, text)).then(pl.lit(first.name))
    for rule in RULES[1:]:
        issue = issue.when(_fails_expr(rule, text)).then(pl.lit(rule.name))
    return issue.otherwise(pl.lit(None, dtype=pl.Utf8))


def render(think: str, answer: str) -> str:
    """A trace in the format: ``<think>\\n{think}\\n</think>\\n<answer>{answer}</answer>``.

    It passes ``check`` whenever ``think`` and ``answer`` are not blank and hold no tag or special token.
    """
    return (f"{THINK_OPEN}\n{think.strip(_WS_CHARS)}\n{THINK_CLOSE}\n"
            f"{ANSWER_OPEN}{answer.strip(_WS_CHARS)}{ANSWER_CLOSE}")
