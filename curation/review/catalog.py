"""The review tables of the catalog (``sql/catalog_review.sql``): reviews, pushed rows, pulled responses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from curation.review.connection import ReviewError
from curation.store import Store
from curation.store.snapshot import SnapshotInfo

RESPONSE_COLUMNS = ("review_id", "row_id", "reviewer", "status", "decision", "quality", "corrected_answer", "note")


@dataclass(frozen=True)
class Review:
    review_id: str
    snapshot_id: str
    workspace: str
    dataset: str
    api_url: str


def find_reviews(store: Store, snapshot_id: str) -> list[Review]:
    return [Review(**row) for row in store.catalog.reviews_of(snapshot_id)]


def get_review(store: Store, info: SnapshotInfo, workspace: str | None = None) -> Review:
    """The review of a snapshot (the one in ``workspace`` when it was pushed to several)."""
    reviews = [r for r in find_reviews(store, info.id) if workspace is None or r.workspace == workspace]
    if not reviews:
        where = f" in workspace {workspace!r}" if workspace else ""
        raise ReviewError(f"{info.ref} has not been pushed for review{where}; "
                          f"run `thinkset review push {info.ref} --sample N` first")
    if len(reviews) > 1:
        names = ", ".join(sorted(r.workspace for r in reviews))
        raise ReviewError(f"{info.ref} was pushed to several workspaces ({names}); choose one with --workspace")
    return reviews[0]


def ensure_review(store: Store, info: SnapshotInfo, workspace: str, dataset: str, api_url: str) -> Review:
    """The existing review for (snapshot, workspace, dataset), or a new review artifact with its lineage edge."""
    for review in find_reviews(store, info.id):
        if review.workspace == workspace and review.dataset == dataset:
            return review
    review_id = store.register_artifact(
        name=f"review-{dataset}", kind="review", artifact_type="review", path=f"argilla:{workspace}/{dataset}",
        metadata={"snapshot": info.ref, "workspace": workspace, "dataset": dataset, "api_url": api_url},
        edges=[(info.id, "reviewed_in")])
    store.catalog.insert_review(dict(review_id=review_id, snapshot_id=info.id, workspace=workspace,
                                     dataset=dataset, api_url=api_url))
    return Review(review_id, info.id, workspace, dataset, api_url)


def record_push(store: Store, review: Review, items: pl.DataFrame, params: dict[str, Any], added: int) -> None:
    """Remember which rows went to reviewers (rows already listed stay as they were)."""
    push = dict(review_id=review.review_id, sample_size=params["sample"], stratify=",".join(params["stratify"]),
                include_rejected=params["include_rejected"], seed=params["seed"], records_added=added)
    rows = [dict(review_id=review.review_id, row_id=row["id"],
                 origin="kept" if row["filter_stage"] == "kept" else "rejected", filter_stage=row["filter_stage"],
                 filter_stage_index=row["filter_stage_index"], filter_reason=row["filter_reason"])
            for row in items.iter_rows(named=True)]
    store.catalog.record_review_push(push, rows)


def load_responses(store: Store, review: Review) -> pl.DataFrame:
    rows = store.catalog.review_responses(review.review_id)
    schema = {"review_id": pl.Utf8, "row_id": pl.Utf8, "reviewer": pl.Utf8, "status": pl.Utf8,
              "decision": pl.Utf8, "quality": pl.Int64, "corrected_answer": pl.Utf8, "note": pl.Utf8}
    return pl.DataFrame(rows, schema=schema)


def replace_responses(store: Store, review: Review, responses: list[dict[str, Any]]) -> dict[str, int]:
    """Make the catalog hold exactly ``responses`` for this review; counts of added/changed/removed rows."""
    before = {(r["row_id"], r["reviewer"]): r for r in load_responses(store, review).iter_rows(named=True)}
    after = {(r["row_id"], r["reviewer"]): {"review_id": review.review_id, **r} for r in responses}
    added = sum(1 for key in after if key not in before)
    changed = sum(1 for key in after if key in before and before[key] != after[key])
    removed = sum(1 for key in before if key not in after)
    if added or changed or removed:
        store.catalog.replace_review_responses(review.review_id,
                                               [{c: row[c] for c in RESPONSE_COLUMNS} for row in after.values()])
    return {"responses": len(after), "added": added, "changed": changed, "removed": removed}


def load_items(store: Store, review: Review) -> pl.DataFrame:
    rows = store.catalog.review_items(review.review_id)
    schema = {"row_id": pl.Utf8, "origin": pl.Utf8, "filter_stage": pl.Utf8, "filter_stage_index": pl.Int64,
              "filter_reason": pl.Utf8}
    return pl.DataFrame(rows, schema=schema)
