"""The review tables of the catalog (``sql/catalog_review.sql``): reviews, pushed rows, pulled responses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
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


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def find_reviews(store: Store, snapshot_id: str) -> list[Review]:
    rows = store.catalog.query(
        "SELECT review_id, snapshot_id, workspace, dataset, api_url FROM reviews WHERE snapshot_id = ? "
        "ORDER BY created_at", [snapshot_id])
    return [Review(**row) for row in rows]


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
    with store.catalog.connect() as con:
        con.execute("INSERT INTO reviews VALUES (?, ?, ?, ?, ?, ?)",
                    [review_id, info.id, workspace, dataset, api_url, _now()])
    return Review(review_id, info.id, workspace, dataset, api_url)


def record_push(store: Store, review: Review, items: pl.DataFrame, params: dict[str, Any], added: int) -> None:
    """Remember which rows went to reviewers (rows already listed stay as they were)."""
    with store.catalog.connect() as con:
        con.execute("BEGIN TRANSACTION")
        con.execute("INSERT INTO review_pushes VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [review.review_id, _now(), params["sample"], ",".join(params["stratify"]),
                     params["include_rejected"], params["seed"], added])
        for row in items.iter_rows(named=True):
            origin = "kept" if row["filter_stage"] == "kept" else "rejected"
            con.execute("INSERT OR IGNORE INTO review_items VALUES (?, ?, ?, ?, ?, ?)",
                        [review.review_id, row["id"], origin, row["filter_stage"], row["filter_stage_index"],
                         row["filter_reason"]])
        con.execute("COMMIT")


def load_responses(store: Store, review: Review) -> pl.DataFrame:
    rows = store.catalog.query(
        f"SELECT {', '.join(RESPONSE_COLUMNS)} FROM review_responses WHERE review_id = ? ORDER BY row_id, reviewer",
        [review.review_id])
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
        with store.catalog.connect() as con:
            con.execute("BEGIN TRANSACTION")
            con.execute("DELETE FROM review_responses WHERE review_id = ?", [review.review_id])
            for row in after.values():
                con.execute(f"INSERT INTO review_responses VALUES ({', '.join('?' * len(RESPONSE_COLUMNS))})",
                            [row[c] for c in RESPONSE_COLUMNS])
            con.execute("COMMIT")
    return {"responses": len(after), "added": added, "changed": changed, "removed": removed}


def load_items(store: Store, review: Review) -> pl.DataFrame:
    rows = store.catalog.query(
        "SELECT row_id, origin, filter_stage, filter_stage_index, filter_reason FROM review_items "
        "WHERE review_id = ? ORDER BY row_id", [review.review_id])
    schema = {"row_id": pl.Utf8, "origin": pl.Utf8, "filter_stage": pl.Utf8, "filter_stage_index": pl.Int64,
              "filter_reason": pl.Utf8}
    return pl.DataFrame(rows, schema=schema)
