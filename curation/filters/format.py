"""format: the trace has the shape training expects, ``<think>…</think> summary <answer>X</answer>``.

Checks, in order (the first failing one is the row's ``format_issue``): exactly one think block
(opened before it is closed), exactly one non-empty answer tag after it, no text after the answer,
no leftover special tokens (``<|im_end|>``, ``</s>``, ``[INST]`` …). Pure Polars expressions.
"""

from __future__ import annotations

import polars as pl
from pydantic import Field

from curation.rows import decide
from curation.stages.base import Stage, StageParams
from curation.stages.registry import register_stage
from curation.verify.normalize import portable

SPECIAL_TOKENS = r"<\|[^|<>\s]{1,40}\|>|</?s>|\[/?INST\]|<pad>|<unk>"


class FormatParams(StageParams):
    require_think: bool = Field(True, description="require exactly one <think>…</think> block")
    allow_text_after_answer: bool = Field(False, description="accept text after </answer>")
    special_tokens: str = Field(SPECIAL_TOKENS, description="regex of tokens that must not appear in a response")
    column: str = Field("response", description="text column to check")


def format_issue(text: pl.Expr, p: FormatParams) -> pl.Expr:
    """The first failed check's name, or null when the text is well formed."""
    opens, closes = text.str.count_matches("<think>", literal=True), text.str.count_matches("</think>", literal=True)
    answers = text.str.count_matches("<answer>", literal=True)
    answer_closes = text.str.count_matches("</answer>", literal=True)
    think_first = text.str.contains(r"(?s)^\s*<think>.*</think>")
    answer_after_think = text.str.contains(r"(?s)</think>.*<answer>")
    empty_answer = text.str.contains(portable(r"<answer>\s*</answer>"))
    trailing = text.str.contains(portable(r"</answer>\s*\S"))
    checks: list[tuple[pl.Expr, str]] = [(text.is_null() | (text == ""), "empty_response")]
    if p.require_think:
        checks += [((opens != 1) | (closes != 1), "think_block_count"), (~think_first, "think_not_first")]
    checks += [
        ((answers == 0) | (answer_closes == 0), "missing_answer_tag"),
        ((answers > 1) | (answer_closes > 1), "several_answer_tags"),
        (empty_answer, "empty_answer"),
    ]
    if p.require_think:
        checks.append((~answer_after_think, "answer_inside_think"))
    if not p.allow_text_after_answer:
        checks.append((trailing, "text_after_answer"))
    checks.append((text.str.contains(p.special_tokens), "special_token"))
    issue = pl.when(checks[0][0]).then(pl.lit(checks[0][1]))
    for condition, name in checks[1:]:
        issue = issue.when(condition).then(pl.lit(name))
    return issue.otherwise(pl.lit(None, dtype=pl.Utf8))


@register_stage
class FormatFilter(Stage):
    type = "format"
    Params = FormatParams
    description = "drop traces that are not <think>…</think> summary <answer>X</answer>"

    def process_batch(self, batch: pl.DataFrame) -> pl.DataFrame:
        p: FormatParams = self.params  # type: ignore[assignment]
        issue = pl.col("format_issue")
        # streaming: the full-text scans run on every core
        return batch.lazy().with_columns(format_issue(pl.col(p.column), p).alias("format_issue")).with_columns(
            decide(issue.is_null(), "bad_format", issue)).collect(engine="streaming")
