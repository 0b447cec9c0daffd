"""The figures of an eval: Wilson intervals, the unbiased pass@k estimator, intervals of a difference.

Wilson's score interval stays inside [0, 1] and keeps its coverage for small n
and accuracies near 0 or 1, where the normal (Wald) interval does not. The
difference of two accuracies uses Newcombe's hybrid score intervals (built from
the two Wilson intervals): for independent samples, and for paired 0/1 scores
when both evals scored the same problems (with the correlation of the pairs);
paired fractional scores (k > 1) use the normal interval of the mean difference.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

Z95 = NormalDist().inv_cdf(0.975)


def wilson(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of ``successes / n`` (successes may be fractional: a mean of pass@1 scores)."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if successes <= 0 else max(0.0, centre - half)  # exact ends: no rounding residue
    high = 1.0 if successes >= n else min(1.0, centre + half)
    return low, high


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from ``n`` samples with ``c`` correct: 1 - C(n-c, k) / C(n, k) (Chen et al., 2021)."""
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples per problem, got {n}")
    if n - c < k:
        return 1.0
    # The product form avoids the huge binomials of large n.
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def pass_at_k_values(k: int) -> list[int]:
    """The j reported for ``k`` samples: 1, 2, 4, ... up to k."""
    values, j = [], 1
    while j <= k:
        values.append(j)
        j *= 2
    return values


def difference_unpaired(p1: float, n1: int, p2: float, n2: int, z: float = Z95) -> tuple[float, float, float]:
    """(p1 - p2, low, high): Newcombe's hybrid score interval from the two Wilson intervals."""
    l1, u1 = wilson(p1 * n1, n1, z)
    l2, u2 = wilson(p2 * n2, n2, z)
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def difference_paired(scores1: np.ndarray, scores2: np.ndarray, z: float = Z95) -> tuple[float, float, float]:
    """(mean difference, low, high) of per-problem scores of two evals on the same problems.

    0/1 scores (one sample per problem): Newcombe's score interval for paired proportions (his method
    10), which stays sensible when few pairs disagree. Fractional scores (mean of k samples): the normal
    interval of the mean per-problem difference.
    """
    first, second = np.asarray(scores1, dtype=float), np.asarray(scores2, dtype=float)
    if first.size and np.isin(first, (0.0, 1.0)).all() and np.isin(second, (0.0, 1.0)).all():
        return _newcombe_paired(first.astype(bool), second.astype(bool), z)
    return _normal_paired(first, second, z)


def _newcombe_paired(first: np.ndarray, second: np.ndarray, z: float) -> tuple[float, float, float]:
    n = first.size
    both, only_first = int((first & second).sum()), int((first & ~second).sum())
    only_second, neither = int((~first & second).sum()), int((~first & ~second).sum())
    p1, p2 = (both + only_first) / n, (both + only_second) / n
    l1, u1 = wilson(both + only_first, n, z)
    l2, u2 = wilson(both + only_second, n, z)
    margins = (both + only_first) * (only_second + neither) * (both + only_second) * (only_first + neither)
    phi = (both * neither - only_first * only_second) / math.sqrt(margins) if margins else 0.0
    d = p1 - p2
    below = math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    above = math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return d, max(-1.0, d - below), min(1.0, d + above)


def _normal_paired(first: np.ndarray, second: np.ndarray, z: float) -> tuple[float, float, float]:
    diffs = first - second
    n = diffs.size
    if n == 0:
        return 0.0, 0.0, 0.0
    d = float(diffs.mean())
    half = z * math.sqrt(float(diffs.var()) / n)
    return d, max(-1.0, d - half), min(1.0, d + half)
