"""Hypothesis fuzz of the parsers of untrusted text: no unhandled exception, good rows kept, unsafe names refused.
Small here (the machine is shared); benchmarks/reliability_report.py runs 10k cases per parser and asserts the
per-call time budget."""

from __future__ import annotations

import pytest

from tests.reliability.fuzz import fuzz_parsers, targets


@pytest.mark.parametrize("name", [t.name for t in targets()])
def test_parser_never_raises_unhandled(name):
    result = fuzz_parsers(60, seed=1, only=[name])
    assert result["fuzz_cases"] == 60
    assert result["unhandled"] == 0, result["per_target"][name]["examples"]
