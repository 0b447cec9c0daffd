"""The sft suite's response_format check (real Great Expectations) flags exactly the rows the format filter drops."""

from __future__ import annotations

import polars as pl

from curation.checks.runner import check_snapshot
from curation.verify.trace_format import check
from tests.checks.factories import good_frame, write_snapshot
from tests.checks.test_suites import failed_names
from tests.verify.test_trace_format import FIRST_ISSUE, WELL_FORMED, teacher_traces


def test_response_format_flags_exactly_the_malformed_rows(store):
    frame = good_frame(store, "sft", n=24)
    # one trace per rule (its first failure), clean ones, and teacher traces of every defect kind
    responses = list(FIRST_ISSUE.values()) + WELL_FORMED
    kinds_seen: set[tuple[str, ...]] = set()
    for text, kinds in teacher_traces():
        if kinds not in kinds_seen and len(responses) < frame.height:
            kinds_seen.add(kinds)
            responses.append(text)
    responses += WELL_FORMED * frame.height
    frame = frame.with_columns(response=pl.Series(responses[: frame.height]))
    info = write_snapshot(store, "sft", frame)
    result = check_snapshot(store, store.open(info.ref), checks={"skip": ["word_count", "response_not_empty"]})
    assert failed_names(result) == {"response_format"}
    outcome = result.failed[0]
    bad_ids = {row_id for row_id, text in zip(frame["id"], frame["response"], strict=True) if not check(text)[0]}
    assert outcome.unexpected_count == len(bad_ids) >= len(FIRST_ISSUE) + 5
    assert {e["id"] for e in outcome.examples} <= bad_ids
