"""The model card of each model a loop trained, re-rendered with its data snapshots and eval results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from curation.store import SnapshotInfo, Store
from training.artifacts import trained_model_of, write_card
from training.loop.summary import EvalPoint, IterationSummary, LoopSummary


def _data(info: SnapshotInfo | None, role: str) -> list[dict[str, Any]]:
    return [] if info is None else [{"ref": info.ref, "kind": info.kind, "rows": info.rows, "id": info.id,
                                     "role": role}]


def _point(point: EvalPoint) -> dict[str, Any]:
    label = "base" if point.model == "base" else f"{point.model.upper()}-iter{point.iteration}"
    return {"label": label, "artifact_id": point.artifact_id, "accuracy": point.accuracy, "ci95": point.ci95,
            "n": point.n}


def loop_section(summary: LoopSummary, item: IterationSummary, mode: str, report: Path) -> dict[str, Any]:
    if mode == "sft":
        data = [*(d for r in item.sft_rollouts for d in _data(r, "rollouts the SFT data was selected from")),
                *_data(item.sft, "the SFT data it was trained on")]
    else:
        data = [*_data(item.grpo_rollouts, "the SFT model's graded rollouts (pass rates)"),
                *_data(item.grpo, "the GRPO prompts it was trained on, selected by difficulty")]
    evals = [p for p in summary.evals if p.model == "base" or (p.model == mode and p.iteration == item.iteration)]
    return {"name": summary.name, "iteration": item.iteration, "data": data, "evals": [_point(p) for p in evals],
            "report": str(report)}


def annotate_model_cards(store: Store, summary: LoopSummary, report: Path) -> list[Path]:
    """Re-render the README.md of every model of the loop with its loop section; returns the cards written."""
    written = []
    for item in summary.iterations:
        for mode, model in item.models.items():
            folder = Path(model["path"])
            record = trained_model_of(folder)
            snapshot = store.find(record["snapshot_id"]) if record else None
            if record is None or snapshot is None:
                continue  # not a thinkset-trained folder any more (moved or deleted)
            context = {"mode": record["mode"], "model_name": record["model_name"],
                       "base_model": record["base_model"], "snapshot": snapshot, "preset_name": record["preset"],
                       "preset": record.get("preset_fields", {}), "rows_used": record["rows_used"],
                       "metrics": record["metrics"], "versions": record["versions"], "output_dir": str(folder),
                       "lineage": [e for e in store.lineage(snapshot.id) if e["direction"] == "ancestor"],
                       "loop_run": loop_section(summary, item, mode, report)}
            written.append(write_card(folder, context))
    return written
