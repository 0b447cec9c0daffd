"""Warn when the evaluated model's training lineage was not decontaminated against the eval snapshot.

The check itself belongs to the decontaminate stage (``decontamination_status``);
this module only calls it and turns its answer into one visible line.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from curation.store import Store

# Where the decontaminate stage keeps its lineage check (first found wins).
STATUS_MODULES = ("curation.store.lineage_query", "curation.filters.decontaminate")


def _status_function() -> Callable[..., Any] | None:
    for name in STATUS_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        function = getattr(module, "decontamination_status", None)
        if function is not None:
            return function
    return None


def _is_clean(status: Any) -> bool:
    for attribute in ("decontaminated", "clean", "ok"):
        if isinstance(status, dict) and attribute in status:
            return bool(status[attribute])
        if hasattr(status, attribute):
            return bool(getattr(status, attribute))
    return bool(status)


def _trained_on_nothing(status: Any) -> bool:
    """A model with no training data in its lineage (a base model the store did not train): nothing of it can
    overlap the eval split, so there is nothing to warn about."""
    training_data = status.get("training_data") if isinstance(status, dict) else getattr(status, "training_data", None)
    return training_data is not None and len(training_data) == 0


def contamination_warning(store: Store, model_artifact_id: str | None, model_label: str,
                          snapshot_id: str, snapshot_ref: str) -> str | None:
    """The warning line, or None when the model's training data was decontaminated against the snapshot (or
    the model has no training data in the store, as a base model)."""
    if model_artifact_id is None:
        return (f"warning: {model_label} is not a model registered in this store, so its training data cannot be "
                f"checked for overlap with {snapshot_ref}")
    check = _status_function()
    if check is None:
        return (f"warning: cannot check whether {model_label}'s training data was decontaminated against "
                f"{snapshot_ref}: this thinkset has no decontaminate stage")
    status = check(store, model_artifact_id, snapshot_id)
    if _is_clean(status) or _trained_on_nothing(status):
        return None
    message = getattr(status, "message", None) or (
        f"{model_label}'s training lineage was not decontaminated against {snapshot_ref}; add a decontaminate "
        f"stage naming {snapshot_ref.split('@')[0]} to its training recipes")
    return f"warning: {message}"
