"""Seeded stratified sampling: the same rows for the same (rows, n, strata, seed), in any row order.

Rows are ranked by sha256 of (seed, id) (``curation.stages.order``, the order of the ``sample`` and
``mix`` stages, the same with every Polars version), so the sample does not depend on shard order and a
larger ``n`` with the same seed keeps the rows of a smaller one in each stratum. Each stratum
gets a share of ``n`` proportional to its size (largest remainder), at least one row when ``n``
allows, so rare sources or verdicts still reach reviewers.
"""

from __future__ import annotations

import polars as pl

from curation.stages.order import seeded_order


def _allocate(sizes: dict[tuple, int], n: int) -> dict[tuple, int]:
    total = sum(sizes.values())
    if n >= total:
        return dict(sizes)
    quotas = {key: n * size / total for key, size in sizes.items()}
    taken = {key: min(sizes[key], int(q)) for key, q in quotas.items()}
    # every stratum gets one row before any gets a second, as long as n allows
    nonempty = [key for key in sizes if sizes[key] > 0]
    if n >= len(nonempty):
        for key in nonempty:
            taken[key] = max(taken[key], 1)
    else:
        for key in sorted(nonempty, key=lambda k: -quotas[k]):
            if sum(taken.values()) >= n:
                break
            taken[key] = max(taken[key], 1)
    by_remainder = sorted(sizes, key=lambda k: (-(quotas[k] - int(quotas[k])), str(k)))
    while sum(taken.values()) < n:
        grew = False
        for key in by_remainder:
            if sum(taken.values()) >= n:
                break
            if taken[key] < sizes[key]:
                taken[key] += 1
                grew = True
        if not grew:
            break
    while sum(taken.values()) > n:  # the at-least-one rule can overshoot: trim the largest
        largest = max(taken, key=lambda k: (taken[k], str(k)))
        taken[largest] -= 1
    return taken


def stratified_sample(frame: pl.DataFrame, n: int, stratify: list[str], seed: int) -> pl.DataFrame:
    """``n`` rows of ``frame`` (all when it has fewer), spread over the ``stratify`` columns."""
    if n <= 0 or frame.height == 0:
        return frame.head(0)
    missing = [c for c in stratify if c not in frame.columns]
    if missing:
        raise ValueError(f"cannot stratify by {', '.join(missing)}: not a column of the rows "
                         f"(columns: {', '.join(frame.columns)})")
    ranked = frame.with_columns(seeded_order(frame["id"], seed).alias("_rank"))
    if not stratify:
        return ranked.sort("_rank").head(n).drop("_rank")
    keys = [pl.col(c).cast(pl.Utf8).fill_null("∅").alias(f"_stratum_{c}") for c in stratify]
    ranked = ranked.with_columns(keys)
    key_columns = [f"_stratum_{c}" for c in stratify]
    sizes = {tuple(row[:-1]): row[-1] for row in ranked.group_by(key_columns).len().iter_rows()}
    quota = _allocate(sizes, n)
    quota_frame = pl.DataFrame(
        [dict(zip(key_columns, key, strict=True), _quota=count) for key, count in quota.items()],
        schema={**{c: pl.Utf8 for c in key_columns}, "_quota": pl.Int64})
    picked = (
        ranked.sort("_rank")
        .with_columns(pl.int_range(pl.len()).over(key_columns).alias("_position"))
        .join(quota_frame, on=key_columns)
        .filter(pl.col("_position") < pl.col("_quota"))
        .sort("_rank")
    )
    return picked.drop([*key_columns, "_rank", "_position", "_quota"])
