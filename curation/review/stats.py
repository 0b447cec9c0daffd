"""`review stats`: how far the review got, and how often reviewers agree with each automatic filter.

For each filter stage: *kept* rows are reviewed rows that passed it (still in the snapshot,
or dropped later by another stage), *dropped* rows are reviewed rows it dropped.
``precision_kept`` = share of its kept rows that reviewers accepted; ``precision_dropped`` =
share of its dropped rows that reviewers rejected. Counts come with every figure; a share
of nothing is null. Per-row decisions follow ``curation.review.decisions``.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from curation.review.catalog import get_review, load_items, load_responses
from curation.review.dataset import ACCEPT, REJECT
from curation.review.decisions import final_decisions
from curation.store import Store

ALL_FILTERS = "all filters"


def _share(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _agreement(stage: str, kept: pl.DataFrame, dropped: pl.DataFrame) -> dict[str, Any]:
    kept_accepted = int((kept["decision"] == ACCEPT).sum())
    dropped_rejected = int((dropped["decision"] == REJECT).sum())
    return {
        "stage": stage,
        "kept_reviewed": kept.height, "kept_accepted": kept_accepted,
        "precision_kept": _share(kept_accepted, kept.height),
        "dropped_reviewed": dropped.height, "dropped_rejected": dropped_rejected,
        "precision_dropped": _share(dropped_rejected, dropped.height),
    }


def _stages(store: Store, snapshot_id: str, items: pl.DataFrame) -> list[tuple[int, str]]:
    """Filter stages of the snapshot: its funnel, plus any stage that dropped a reviewed row."""
    stages = {(int(r["stage_index"]), r["stage"]) for r in store.catalog.funnel(snapshot_id)}
    rejected = items.filter(pl.col("origin") == "rejected")
    stages |= {(int(i), s) for i, s in rejected.select("filter_stage_index", "filter_stage").iter_rows()
               if i is not None}
    return sorted(stages)


def review_stats(store: Store, ref: str, *, workspace: str | None = None) -> dict[str, Any]:
    """Review figures of snapshot ``ref`` from the catalog (run ``review pull`` first to refresh them).

    Keys: snapshot, review_id, dataset, records (pushed), responses (submitted), reviewers,
    records_reviewed, accepted/rejected (responses), accept_rate, corrections, mean_quality,
    filters (list of per-stage agreement dicts, ``all filters`` first).
    """
    info = store.resolve(ref)
    review = get_review(store, info, workspace)
    items = load_items(store, review)
    responses = load_responses(store, review)
    decided = final_decisions(responses)
    reviewed = items.join(decided, on="row_id", how="inner").filter(pl.col("decision").is_not_null())
    accepted = int((responses["decision"] == ACCEPT).sum())
    rejected = int((responses["decision"] == REJECT).sum())
    quality = responses["quality"].drop_nulls()
    filters = [_agreement(ALL_FILTERS, reviewed.filter(pl.col("origin") == "kept"),
                          reviewed.filter(pl.col("origin") == "rejected"))]
    for index, stage in _stages(store, info.id, items):
        passed = (pl.col("origin") == "kept") | (pl.col("filter_stage_index") > index)
        dropped_here = (pl.col("origin") == "rejected") & (pl.col("filter_stage") == stage) & \
            (pl.col("filter_stage_index") == index)
        filters.append(_agreement(stage, reviewed.filter(passed), reviewed.filter(dropped_here)))
    return {
        "snapshot": info.ref, "review_id": review.review_id, "dataset": review.dataset,
        "workspace": review.workspace,
        "records": items.height, "responses": responses.height,
        "reviewers": responses["reviewer"].n_unique(), "records_reviewed": reviewed.height,
        "accepted": accepted, "rejected": rejected, "accept_rate": _share(accepted, accepted + rejected),
        "corrections": int(responses["corrected_answer"].is_not_null().sum()),
        "mean_quality": round(float(quality.mean()), 3) if quality.len() else None,
        "filters": filters,
    }
