"""`review pull`: copy reviewers' submitted responses from Argilla into the catalog.

The catalog ends up holding exactly what the server holds now (a response turned into a
draft or discarded disappears), so pulling twice in a row changes nothing.
"""

from __future__ import annotations

import warnings
from typing import Any

from curation.review.catalog import get_review, replace_responses
from curation.review.connection import ReviewError, connect
from curation.review.dataset import CORRECTED, DECISION, NOTE, QUALITY
from curation.store import Store


def _clean_text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def pull(store: Store, ref: str, *, workspace: str | None = None) -> dict[str, Any]:
    """Pull submitted responses of the review of ``ref``; returns counts (responses, added, changed, removed)."""
    client = connect()
    info = store.resolve(ref)
    review = get_review(store, info, workspace)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dataset = client.datasets(name=review.dataset, workspace=review.workspace)
    if dataset is None:
        raise ReviewError(f"Argilla dataset {review.dataset!r} (workspace {review.workspace!r}) of {info.ref} is gone "
                          f"from {review.api_url}; push again with `thinkset review push {info.ref}`")
    by_reviewer: dict[tuple[str, str], dict[str, Any]] = {}
    for record in dataset.records(with_responses=True, with_suggestions=False):
        for response in record.responses:
            status = getattr(response.status, "value", response.status)
            if status != "submitted":
                continue
            key = (str(record.id), str(response.user_id))
            row = by_reviewer.setdefault(key, {"row_id": key[0], "reviewer": key[1], "status": status,
                                               "decision": None, "quality": None, "corrected_answer": None,
                                               "note": None})
            if response.question_name == DECISION:
                row["decision"] = response.value
            elif response.question_name == QUALITY:
                row["quality"] = int(response.value) if response.value is not None else None
            elif response.question_name == CORRECTED:
                row["corrected_answer"] = _clean_text(response.value)
            elif response.question_name == NOTE:
                row["note"] = _clean_text(response.value)
    counts = replace_responses(store, review, sorted(by_reviewer.values(), key=lambda r: (r["row_id"], r["reviewer"])))
    return {"snapshot": info.ref, "review_id": review.review_id, "dataset": review.dataset, **counts}
