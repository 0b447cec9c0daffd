"""Stratified sampling: seeded, proportional, every stratum represented, independent of row order."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.review.sample import stratified_sample
from curation.stages.order import seeded_order


def _rows(sizes: dict[tuple[str, str], int]) -> pl.DataFrame:
    rows = [{"id": f"{s}-{v}-{i}", "source": s, "verdict": v}
            for (s, v), n in sizes.items() for i in range(n)]
    return pl.DataFrame(rows, schema={"id": pl.Utf8, "source": pl.Utf8, "verdict": pl.Utf8})


def test_strata_get_proportional_shares_and_rare_ones_are_kept():
    frame = _rows({("chart", "correct"): 80, ("chart", "wrong"): 10, ("geo", "correct"): 9, ("geo", "wrong"): 1})
    sample = stratified_sample(frame, 20, ["source", "verdict"], seed=0)
    counts = {(s, v): n for s, v, n in sample.group_by("source", "verdict").len().iter_rows()}
    assert sample.height == 20
    assert counts[("geo", "wrong")] == 1  # 0.2 of a row by proportion, kept anyway
    assert counts[("chart", "correct")] >= 15
    assert sample["id"].n_unique() == 20


def test_same_seed_same_rows_in_any_order_and_other_seed_differs():
    frame = _rows({("a", "x"): 50, ("b", "y"): 50})
    first = stratified_sample(frame, 10, ["source"], seed=5)["id"].to_list()
    shuffled = stratified_sample(frame.sample(fraction=1.0, shuffle=True, seed=1), 10, ["source"], seed=5)
    assert sorted(shuffled["id"].to_list()) == sorted(first)
    assert sorted(stratified_sample(frame, 10, ["source"], seed=6)["id"].to_list()) != sorted(first)


def test_larger_sample_contains_the_smaller_one():
    frame = _rows({("a", "x"): 30, ("b", "y"): 30})
    small = set(stratified_sample(frame, 6, ["source"], seed=2)["id"])
    large = set(stratified_sample(frame, 12, ["source"], seed=2)["id"])
    assert small <= large


def test_unknown_stratify_column_names_the_columns():
    with pytest.raises(ValueError, match="cannot stratify by nope"):
        stratified_sample(_rows({("a", "x"): 3}), 2, ["nope"], seed=0)


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=6),
       n=st.integers(min_value=0, max_value=80), seed=st.integers(0, 10))
def test_sample_size_is_exact_and_rows_are_distinct(sizes, n, seed):
    frame = _rows({(f"s{i}", "v"): size for i, size in enumerate(sizes)})
    sample = stratified_sample(frame, n, ["source"], seed=seed)
    assert sample.height == min(n, frame.height)
    assert sample["id"].n_unique() == sample.height
    if n >= len([s for s in sizes if s]):
        assert sample["source"].n_unique() == len([s for s in sizes if s])  # every stratum represented


def test_the_order_is_the_sample_stages_seeded_order():
    """One seeded order (curation.stages.order) for review, sample and mix: stable across Polars versions."""
    frame = _rows({("a", "x"): 40})
    picked = stratified_sample(frame, 7, [], seed=9)["id"].to_list()
    ranked = frame.with_columns(order=seeded_order(frame["id"], 9)).sort("order")["id"].to_list()
    assert picked == ranked[:7]
