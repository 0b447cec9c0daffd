"""The expectation suite of each snapshot kind, as Great Expectations expectations.

Every expectation carries ``meta.check``: the short name users see in tables,
reports, ``skip:`` lists and error messages (``answer_not_empty``,
``images_resolvable``, ...). Expectations are split by the frame they run on:
``row`` ones per batch, ``table`` ones on one narrow frame of every row,
``mix`` ones on the one-row frame of source shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import ColumnMapExpectation, Expectation
from great_expectations.expectations.registry import get_expectation_impl

from curation.checks.adapter import IMAGE_KEY, IMAGE_STATUS, WORD_COUNT
from curation.checks.config import CheckConfig, CheckConfigError

NOT_BLANK = r"\S"


@dataclass
class Suite:
    """Expectations of one snapshot kind, grouped by the frame they need."""

    kind: str
    row: list[Expectation] = field(default_factory=list)
    table: list[Expectation] = field(default_factory=list)
    mix: list[Expectation] = field(default_factory=list)
    row_columns: list[str] = field(default_factory=list)  # snapshot columns the row frames must carry
    table_columns: list[str] = field(default_factory=list)

    def names(self) -> list[str]:
        return [e.meta["check"] for e in self.row + self.table + self.mix]


def _named(expectation: Expectation, name: str) -> Expectation:
    expectation.meta = {**(expectation.meta or {}), "check": name}
    return expectation


def custom_expectation(spec: dict, index: int) -> Expectation:
    """A recipe's extra expectation, e.g. ``{type: expect_column_values_to_match_regex, column: answer, regex: ..}``."""
    where = f"checks.expectations[{index}]"
    try:
        impl = get_expectation_impl(spec["type"])
    except Exception:  # noqa: BLE001 - GX raises its own error types for unknown names
        raise CheckConfigError(f"{where}.type: unknown Great Expectations expectation {spec['type']!r} "
                               "(names are snake_case, e.g. expect_column_values_to_match_regex)") from None
    try:
        expectation = impl(**spec["kwargs"])
    except Exception as exc:  # noqa: BLE001 - pydantic errors from GX name the bad kwarg
        raise CheckConfigError(f"{where} ({spec['type']}): {exc}") from None
    return _named(expectation, spec["name"] or spec["type"])


def build_suite(kind: str, config: CheckConfig, columns: list[str]) -> Suite:
    """The suite for ``kind``, shaped by ``config`` and by which optional columns the snapshot has."""
    suite = Suite(kind=kind)
    has = set(columns)
    row, table = suite.row, suite.table

    def add(target: list[Expectation], name: str, expectation: Expectation) -> None:
        if name not in config.skip:
            target.append(_named(expectation, name))

    add(table, "min_rows", gxe.ExpectTableRowCountToBeBetween(min_value=config.min_rows))
    add(table, "ids_unique", gxe.ExpectColumnValuesToBeUnique(column="id"))
    suite.table_columns += ["id"]
    for column in ("problem", "answer"):
        if column in has:
            add(row, f"{column}_not_empty", gxe.ExpectColumnValuesToMatchRegex(column=column, regex=NOT_BLANK))
            suite.row_columns.append(column)
    if "image_ids" in has and config.images != "off":
        add(row, "images_resolvable", gxe.ExpectColumnValuesToBeInSet(column=IMAGE_STATUS, value_set=["ok"]))
    if "response" in has:
        suite.row_columns.append("response")
        add(row, "response_not_empty", gxe.ExpectColumnValuesToMatchRegex(column="response", regex=NOT_BLANK))
        if config.response_format:
            add(row, "response_format",
                gxe.ExpectColumnValuesToMatchRegex(column="response", regex=config.response_pattern))
        if config.min_words is not None or config.max_words is not None:
            add(row, "word_count", gxe.ExpectColumnValuesToBeBetween(
                column=WORD_COUNT, min_value=config.min_words, max_value=config.max_words))
    if kind == "grpo" and "pass_rate" in has:
        low, high = config.pass_rate
        add(row, "pass_rate_range", gxe.ExpectColumnValuesToBeBetween(column="pass_rate", min_value=low,
                                                                      max_value=high))
        suite.row_columns.append("pass_rate")
        if "n_samples" in has and "n_correct" in has:
            # a difficulty stage ran (its counts are here): every problem must have a real pass rate
            add(row, "pass_rate_not_null", gxe.ExpectColumnValuesToNotBeNull(column="pass_rate"))
            add(row, "pass_rate_counts", gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="n_samples", column_B="n_correct", or_equal=True, ignore_row_if="either_value_is_missing"))
            suite.row_columns += ["n_samples", "n_correct"]
    if config.unique_pairs:
        pair = ["problem_id", "model", "sample_index"] if kind == "rollouts" else ["problem", IMAGE_KEY]
        pair = [c for c in pair if c in has or (c == IMAGE_KEY and "image_ids" in has)]
        if len(pair) >= 2:
            name = "samples_unique" if kind == "rollouts" else "problem_image_unique"
            add(table, name, gxe.ExpectCompoundColumnsToBeUnique(column_list=pair))
            suite.table_columns += pair
    for source, (low, high) in config.source_mix.items():
        add(suite.mix, f"source_mix:{source}", gxe.ExpectColumnValuesToBeBetween(
            column=source, min_value=low, max_value=high))
    for index, custom in enumerate(config.expectations):
        expectation = custom_expectation({"type": custom.type, "name": custom.name, "kwargs": custom.kwargs()},
                                         index)
        name = expectation.meta["check"]
        if name in config.skip:
            continue
        # Per-row expectations aggregate exactly over batches; any other kind needs all rows at once.
        target = row if isinstance(expectation, ColumnMapExpectation) else table
        target.append(expectation)
        wanted = [custom.kwargs().get("column", ""), *custom.kwargs().get("column_list", [])]
        (suite.row_columns if target is row else suite.table_columns).extend(wanted)
    suite.row_columns = [c for c in dict.fromkeys(suite.row_columns) if c]
    suite.table_columns = list(dict.fromkeys(suite.table_columns))
    return suite
