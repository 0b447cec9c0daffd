"""`thinkset pool synth|ingest`: one-stage recipes around the source stages."""

from __future__ import annotations

from typing import Any

from curation.pipeline import run_recipe
from curation.recipe import recipe_from_dict
from curation.store import SnapshotInfo, Store


def _run_source(store: Store, name: str, stage: dict[str, Any]) -> SnapshotInfo:
    recipe = recipe_from_dict({"name": f"pool:{stage['type']}", "output": name, "stages": [stage]},
                              where=f"thinkset pool {stage['type']}")
    return run_recipe(recipe, store).final


def write_synthetic_pool(store: Store, *, n: int, seed: int, name: str = "pool-synth") -> SnapshotInfo:
    return _run_source(store, name, {"type": "synthetic_pool", "n": n, "seed": seed})


def write_ingested_pool(store: Store, path: str, *, layout: str = "auto", name: str,
                        columns: dict[str, str] | None = None, answer_pattern: str | None = None,
                        source: str | None = None) -> tuple[SnapshotInfo, int]:
    """Ingest ``path`` into a pool snapshot; returns it and the number of quarantined rows."""
    stage = {"type": "ingest", "path": path, "layout": layout, "columns": columns or {},
             "answer_pattern": answer_pattern, "source": source}
    info = _run_source(store, name, stage)
    return info, store.catalog.rejection_count(info.id)
