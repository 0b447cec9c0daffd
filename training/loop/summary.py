"""The numbers of a loop, read back from the catalog and the snapshots: what the report and cards show."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from curation.store import SnapshotInfo, Store
from curation.store.catalog import sql_file
from training.loop.state import LoopState

Z95 = 1.959964


def wilson_interval(accuracy: float, n: int) -> tuple[float, float]:
    """95% Wilson score interval of a proportion (well behaved at 0, 1 and small n)."""
    if n <= 0:
        return (0.0, 1.0)
    centre = (accuracy + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(accuracy * (1 - accuracy) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass
class EvalPoint:
    iteration: int
    model: str  # base | sft | grpo
    accuracy: float
    n: int
    ci95: tuple[float, float]
    by_source: dict[str, float]
    artifact_id: str

    @classmethod
    def from_manifest(cls, iteration: int, model: str, artifact_id: str, manifest: dict[str, Any]) -> EvalPoint:
        accuracy = float(manifest.get("accuracy") or 0.0)
        n = int(manifest.get("n") or manifest.get("rows") or 0)
        ci = manifest.get("ci95")
        interval = (float(ci[0]), float(ci[1])) if isinstance(ci, list | tuple) and len(ci) == 2 \
            else wilson_interval(accuracy, n)
        return cls(iteration, model, accuracy, n, interval, dict(manifest.get("by_source") or
                                                                 manifest.get("per_source") or {}), artifact_id)


@dataclass
class IterationSummary:
    iteration: int
    sft: SnapshotInfo | None = None
    sft_rollouts: list[SnapshotInfo] = field(default_factory=list)
    sft_detail: dict[str, Any] = field(default_factory=dict)
    grpo: SnapshotInfo | None = None
    grpo_rollouts: SnapshotInfo | None = None
    funnels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # snapshot ref -> funnel rows
    pass_rate_before: list[float] = field(default_factory=list)  # one per rolled-out problem
    pass_rate_after: list[float] = field(default_factory=list)  # one per selected problem
    source_mix: dict[str, dict[str, int]] = field(default_factory=dict)  # sft|grpo -> source -> rows
    models: dict[str, dict[str, Any]] = field(default_factory=dict)  # sft|grpo -> artifact row


@dataclass
class LoopSummary:
    name: str
    steps: list[dict[str, Any]]
    iterations: list[IterationSummary]
    evals: list[EvalPoint]
    base_model: str | None

    @property
    def wall_seconds(self) -> float:
        return round(sum(s["seconds"] or 0.0 for s in self.steps), 1)


def funnel(store: Store, info: SnapshotInfo) -> list[dict[str, Any]]:
    return store.catalog.query(sql_file("funnel.sql"), [info.id])


def parents_of_kind(store: Store, info: SnapshotInfo, kind: str) -> list[SnapshotInfo]:
    rows = store.catalog.query("SELECT a.id FROM edges e JOIN artifacts a ON a.id = e.src_id WHERE e.dst_id = ? "
                               "AND a.kind = ? ORDER BY a.created_at", [info.id, kind])
    return [found for row in rows if (found := store.find(row["id"])) is not None]


def source_mix(store: Store, info: SnapshotInfo) -> dict[str, int]:
    frame = store.open(info.id).scan().group_by("source").agg(pl.len().alias("rows")).sort("source").collect()
    return {row["source"]: int(row["rows"]) for row in frame.iter_rows(named=True)}


def pass_rates_before(store: Store, rollouts: SnapshotInfo) -> list[float]:
    """Per-problem share of correct rollouts in a graded rollouts snapshot."""
    frame = store.open(rollouts.id).scan()
    if "verdict" not in frame.collect_schema():
        return []
    rates = frame.group_by("problem_id").agg((pl.col("verdict") == "correct").mean().alias("rate")).collect()
    return sorted(float(r) for r in rates["rate"].to_list())


def pass_rates_after(store: Store, grpo: SnapshotInfo) -> list[float]:
    frame = store.open(grpo.id).read()
    return sorted(float(r) for r in frame["pass_rate"].drop_nulls().to_list()) if "pass_rate" in frame.columns \
        else []


def summarize(store: Store, loop: str) -> LoopSummary:
    """Everything the report shows for ``loop``, from the loop tables, the catalog and the snapshots."""
    state = LoopState(store, loop)
    if not state.exists():
        known = ", ".join(r["name"] for r in store.catalog.query("SELECT name FROM loops ORDER BY name")) or "none"
        raise LookupError(f"no loop {loop!r} in {store.root} (loops: {known}); run `thinkset iterate RECIPE` first")
    config = json.loads(store.catalog.query("SELECT config FROM loops WHERE name = ?", [loop])[0]["config"])
    steps = [s for s in state.steps() if s["status"] == "done"]
    by_step = {(s["iteration"], s["step"]): s for s in steps}
    evals = []
    for (iteration, step), row in sorted(by_step.items()):
        if step.startswith("eval-"):
            manifest = store.catalog.query("SELECT manifest FROM artifacts WHERE id = ?", [row["artifact_id"]])
            if manifest:
                evals.append(EvalPoint.from_manifest(iteration, step.removeprefix("eval-"), row["artifact_id"],
                                                     json.loads(manifest[0]["manifest"])))
    iterations = []
    for iteration in sorted({i for i, _ in by_step if i > 0}):
        item = IterationSummary(iteration)
        if (row := by_step.get((iteration, "sft-data"))) and (sft := store.find(row["artifact_id"])):
            item.sft, item.sft_detail = sft, json.loads(row["detail"] or "{}")
            item.sft_rollouts = parents_of_kind(store, sft, "rollouts")
            policy_rows = store.catalog.query("SELECT src_id FROM edges WHERE dst_id = ? AND kind = 'fallback_for'",
                                              [sft.id])
            item.sft_rollouts += [f for r in policy_rows if (f := store.find(r["src_id"])) is not None]
            item.source_mix["sft"] = source_mix(store, sft)
            for info in [*item.sft_rollouts, sft]:
                item.funnels[info.ref] = funnel(store, info)
        if (row := by_step.get((iteration, "grpo-data"))) and (grpo := store.find(row["artifact_id"])):
            item.grpo = grpo
            rollouts = parents_of_kind(store, grpo, "rollouts")
            item.grpo_rollouts = rollouts[0] if rollouts else None
            if item.grpo_rollouts is not None:
                item.pass_rate_before = pass_rates_before(store, item.grpo_rollouts)
                item.funnels[item.grpo_rollouts.ref] = funnel(store, item.grpo_rollouts)
            item.pass_rate_after = pass_rates_after(store, grpo)
            item.source_mix["grpo"] = source_mix(store, grpo)
            item.funnels[grpo.ref] = funnel(store, grpo)
        for mode in ("sft", "grpo"):
            if row := by_step.get((iteration, f"{mode}-train")):
                found = store.catalog.query("SELECT * FROM artifacts WHERE id = ?", [row["artifact_id"]])
                if found:
                    item.models[mode] = found[0]
        iterations.append(item)
    return LoopSummary(name=loop, steps=steps, iterations=iterations, evals=evals,
                       base_model=config.get("base_model"))
