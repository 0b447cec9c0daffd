"""The labelled set (tests/verify/labelled_cases.jsonl): accuracy per class, and the fast path agrees."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from verify_accuracy import accuracy_table, load_cases  # noqa: E402

from curation.verify import BatchGrader  # noqa: E402

CASES = load_cases()


def test_labelled_set_is_large_and_covers_every_class():
    assert len(CASES) >= 300
    classes = {c["class"] for c in CASES}
    assert {"number", "fraction", "percent", "units", "multiple_choice", "yes_no", "expression",
            "extraction", "adversarial"} <= classes
    assert {c["label"] for c in CASES} == {"correct", "wrong", "unparseable"}


@pytest.mark.slow
def test_accuracy_per_class(capsys):
    table, errors = accuracy_table(CASES)
    with capsys.disabled():
        print("\nverify accuracy:", {k: v["accuracy"] for k, v in table.items()})
    assert table["all"]["accuracy"] >= 0.98, errors
    for name, row in table.items():
        assert row["accuracy"] >= 0.9, (name, [e for e in errors if e["class"] == name])


@pytest.mark.slow
def test_batch_grader_matches_scalar_grade_on_every_case():
    from curation.verify import grade

    responses = pl.Series([c["response"] for c in CASES])
    golds = pl.Series([c["gold"] for c in CASES])
    choices = pl.Series([c["choices"] for c in CASES], dtype=pl.List(pl.Utf8))
    with BatchGrader(workers=1) as grader:
        out = grader.grade(responses, golds, choices)
    for case, row in zip(CASES, out.iter_rows(named=True), strict=True):
        verdict = grade(case["response"], case["gold"], choices=case["choices"])
        assert (row["verdict"], row["extracted"]) == (verdict.status, verdict.extracted), case
    assert grader.math_verify_calls < len(CASES) // 3  # the fast path settles the majority
