"""Every hostile-input kind of issue 14.4 through the real pipeline (ingest -> image filter -> store): good rows
all kept, bad rows quarantined with a reason, a bad file named, an input that is wrong as a whole refused with a
clear message, and nothing raised past the harness."""

from __future__ import annotations

import pytest

from tests.reliability.hostile import ingest_hostile, make_hostile_inputs

pytestmark = pytest.mark.slow  # 22 pipeline runs and a real 20000x20000 image


def test_hostile_inputs_never_crash_a_run_nor_lose_a_good_row(tmp_path):
    cases = make_hostile_inputs(tmp_path / "inputs")
    assert len({c.kind for c in cases}) == len(cases) >= 20
    totals = ingest_hostile(cases, tmp_path / "store")
    assert totals["mismatches"] == []
    assert totals["unhandled"] == 0 and totals["rows_lost"] == 0
    assert totals["good_rows_kept"] == totals["good_rows_expected"] == sum(c.good for c in cases)
    assert totals["quarantined"] == sum(c.bad for c in cases)
