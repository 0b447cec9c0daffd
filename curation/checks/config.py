"""What a recipe's ``checks:`` section may say, and the defaults of each snapshot kind.

Example (every key optional)::

    checks:
      max_words: 500                 # word-count bounds of `response` (sft default 1..500)
      min_words: 1
      pass_rate: [0.1, 0.9]          # grpo: band every pass_rate must fall in (default [0, 1])
      source_mix:                    # share of rows per source, [min, max]
        synth_chart: [0.1, 0.5]
        synth_geometry: [0.05, 1.0]
      min_rows: 100
      images: decode                 # decode | exists | off
      require_images: true           # every row must reference at least one image
      response_format: true          # sft: the trace format of curation.verify.trace_format
      unique_pairs: true             # no duplicate (problem, images) pairs
      skip: [word_count]             # turn off checks by name
      expectations:                  # any Great Expectations expectation, by its snake_case name
        - {type: expect_column_values_to_match_regex, column: answer, regex: "^\\\\S", name: answer_trimmed}
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from curation.verify.trace_format import PATTERN as TRACE_FORMAT


class CheckConfigError(ValueError):
    """A ``checks:`` section that cannot be used; the message names the field."""


class CustomExpectation(BaseModel):
    """One extra Great Expectations expectation: its type plus its own kwargs (column, regex, ...)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str = Field(description="snake_case expectation name, e.g. expect_column_values_to_match_regex")
    name: str | None = Field(None, description="check name shown in tables (default: the type)")

    def kwargs(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class CheckConfig(BaseModel):
    """Check settings; a field left out takes the default of the snapshot kind (see KIND_DEFAULTS)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_rows: int = Field(1, ge=0, description="fewest rows a snapshot may have")
    min_words: int | None = Field(None, ge=0, description="fewest words in `response` (whitespace split)")
    max_words: int | None = Field(None, gt=0, description="most words in `response`; null = no bound")
    response_format: bool | None = Field(None, description="responses must be <think>...</think> then <answer>...</answer> "
                                                           "(curation.verify.trace_format, as the format filter)")
    response_pattern: str = Field(TRACE_FORMAT, description="regex every response must match when response_format "
                                                            "(default: the trace format's PATTERN)")
    pass_rate: tuple[float, float] = Field((0.0, 1.0), description="[min, max] every grpo pass_rate must fall in")
    source_mix: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="source -> [min share, max share] of rows")
    images: Literal["decode", "exists", "off"] = Field(
        "decode", description="how image references are checked: decoded, only looked up, or not at all")
    require_images: bool = Field(False, description="every row must reference at least one image")
    unique_pairs: bool | None = Field(None, description="no duplicate (problem, images) pairs (rollouts: samples)")
    skip: list[str] = Field(default_factory=list, description="check names to turn off")
    expectations: list[CustomExpectation] = Field(default_factory=list, description="extra GX expectations")

    @field_validator("pass_rate")
    @classmethod
    def _ordered(cls, band: tuple[float, float]) -> tuple[float, float]:
        if band[0] > band[1]:
            raise ValueError(f"min {band[0]} is above max {band[1]}")
        return band

    @field_validator("source_mix")
    @classmethod
    def _shares(cls, mix: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for source, (low, high) in mix.items():
            if not 0 <= low <= high <= 1:
                raise ValueError(f"{source}: shares are fractions with 0 <= min <= max <= 1, got [{low}, {high}]")
        return mix


# What each kind checks when the recipe says nothing.
KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    "pool": {"unique_pairs": True},
    "rollouts": {"min_words": 1, "response_format": False, "unique_pairs": True},
    "sft": {"min_words": 1, "max_words": 500, "response_format": True, "unique_pairs": True},
    "grpo": {"unique_pairs": True},
}


def resolve_config(kind: str, checks: dict[str, Any] | CheckConfig | None, where: str = "checks") -> CheckConfig:
    """The kind's defaults overlaid with the recipe's ``checks:`` mapping (explicit nulls win)."""
    raw = checks.model_dump(exclude_unset=True) if isinstance(checks, CheckConfig) else dict(checks or {})
    try:
        return CheckConfig.model_validate({**KIND_DEFAULTS.get(kind, {}), **raw})
    except ValidationError as exc:
        problems = [f"{where}.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise CheckConfigError("; ".join(problems)) from None
