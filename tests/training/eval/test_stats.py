"""pass@k against its closed form and brute-force enumeration; Wilson and difference intervals."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from training.eval.stats import (
    difference_paired,
    difference_unpaired,
    pass_at_k,
    pass_at_k_values,
    wilson,
)


@pytest.mark.parametrize(("n", "c", "k", "expected"), [
    (4, 0, 1, 0.0), (4, 1, 1, 0.25), (4, 1, 2, 0.5), (4, 2, 2, 1 - 1 / 6), (4, 1, 4, 1.0),
    (4, 3, 2, 1.0), (10, 3, 5, 1 - math.comb(7, 5) / math.comb(10, 5)),
])
def test_pass_at_k_closed_form(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 7).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n))))
def test_pass_at_k_equals_enumeration_of_all_k_subsets(case):
    n, c, k = case
    outcomes = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    brute = sum(any(outcomes[i] for i in subset) for subset in subsets) / len(subsets)
    assert pass_at_k(n, c, k) == pytest.approx(brute, abs=1e-12)


def test_pass_at_k_needs_k_samples():
    with pytest.raises(ValueError, match="at least 4"):
        pass_at_k(2, 1, 4)
    assert pass_at_k_values(4) == [1, 2, 4]
    assert pass_at_k_values(6) == [1, 2, 4]
    assert pass_at_k_values(1) == [1]


def test_wilson_known_values_and_bounds():
    low, high = wilson(8, 10)  # textbook value: 0.490 - 0.943
    assert (round(low, 3), round(high, 3)) == (0.490, 0.943)
    assert wilson(0, 10)[0] == 0.0 and wilson(0, 10)[1] > 0.0
    assert wilson(10, 10)[1] == 1.0 and wilson(10, 10)[0] < 1.0
    assert wilson(0, 0) == (0.0, 1.0)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_the_estimate_and_matches_scipy(case):
    successes, n = case
    low, high = wilson(successes, n)
    assert 0.0 <= low <= successes / n <= high <= 1.0
    stats = pytest.importorskip("scipy.stats")
    reference = stats.binomtest(successes, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert (low, high) == pytest.approx((reference.low, reference.high), abs=1e-9)


def test_difference_intervals():
    d, low, high = difference_unpaired(0.8, 100, 0.6, 100)
    assert d == pytest.approx(0.2) and 0.0 < low < d < high < 0.4  # a clear difference excludes 0
    d, low, high = difference_unpaired(0.5, 10, 0.4, 10)
    assert low < 0 < high  # ten problems cannot tell 50% from 40%


def paired(both: int, only_a: int, only_b: int, neither: int) -> tuple[np.ndarray, np.ndarray]:
    a = np.array([1] * both + [1] * only_a + [0] * only_b + [0] * neither)
    b = np.array([1] * both + [0] * only_a + [1] * only_b + [0] * neither)
    return a, b


def test_paired_difference_of_proportions_is_newcombes_interval():
    # Newcombe (1998), Statistics in Medicine 17:2635, example (a): 36/12/2/0 pairs, method 10
    d, low, high = difference_paired(*paired(36, 12, 2, 0))
    assert (d, round(low, 4), round(high, 4)) == (pytest.approx(0.2), 0.0569, 0.3404)
    d, low, high = difference_paired(*paired(2, 0, 0, 0))
    assert d == 0.0 and low < 0 < high  # two agreeing problems say little, not "exactly 0"
    a, b = paired(10, 3, 1, 6)  # agreeing pairs: knowing the pairing narrows the interval
    d, low, high = difference_paired(a, b)
    _, unpaired_low, unpaired_high = difference_unpaired(a.mean(), a.size, b.mean(), b.size)
    assert -1 <= low <= d <= high <= 1 and high - low < unpaired_high - unpaired_low
    assert difference_paired(a, a)[0] == 0.0


def test_paired_difference_of_fractional_scores_is_the_normal_interval():
    a, b = np.array([1.0, 0.75, 0.5, 0.25]), np.array([0.5, 0.75, 0.25, 0.0])
    d, low, high = difference_paired(a, b)
    diffs = a - b
    half = 1.959964 * math.sqrt(diffs.var() / diffs.size)
    assert d == pytest.approx(0.25) and (low, high) == pytest.approx((0.25 - half, 0.25 + half), abs=1e-6)
