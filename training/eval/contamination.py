"""Warn when the evaluated model's training lineage was not decontaminated against the eval snapshot.

The check itself is ``curation.store.lineage_query.decontamination_status`` (what the decontaminate stage
records in the lineage); this module turns its answer into one visible line.
"""

from __future__ import annotations

from curation.store import Store
from curation.store.lineage_query import decontamination_status


def contamination_warning(store: Store, model_artifact_id: str | None, model_label: str,
                          snapshot_id: str, snapshot_ref: str) -> str | None:
    """The warning line, or None when the model's training data was decontaminated against the snapshot (or
    the model has no training data in the store, as a base model)."""
    if model_artifact_id is None:
        return (f"warning: {model_label} is not a model registered in this store, so its training data cannot be "
                f"checked for overlap with {snapshot_ref}")
    status = decontamination_status(store, model_artifact_id, snapshot_id)
    if status.decontaminated or not status.training_data:
        return None
    return f"warning: {status.message}"
