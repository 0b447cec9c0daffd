"""The numbers of a loop, read back from the catalog and the snapshots: what the report and cards show."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from curation.store import SnapshotInfo, Store
from training.eval import EvalResult
from training.loop.state import LoopState

MODEL_ORDER = {"base": 0, "sft": 1, "grpo": 2}


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
    def from_result(cls, iteration: int, model: str, result: EvalResult) -> EvalPoint:
        return cls(iteration, model, result.accuracy, result.n, result.ci95,
                   {name: group.accuracy for name, group in result.by_source.items()}, result.artifact_id)


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
    return store.catalog.funnel(info.id)


def sources_of(store: Store, info: SnapshotInfo, *, kind: str | None = None,
               src_kind: str | None = None) -> list[SnapshotInfo]:
    """Artifacts with an edge into ``info`` (each once, oldest first)."""
    ids = dict.fromkeys(e["src_id"] for e in store.catalog.edges_into([info.id]) if kind in (None, e["kind"]))
    found = [artifact for artifact_id in ids if (artifact := store.find(artifact_id)) is not None]
    return [artifact for artifact in found if src_kind in (None, artifact.kind)]


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
    from training.eval.artifact import load_eval

    record = store.catalog.loop(loop)
    if record is None:
        known = ", ".join(store.catalog.loop_names()) or "none"
        raise LookupError(f"no loop {loop!r} in {store.root} (loops: {known}); run `thinkset iterate RECIPE` first")
    config = json.loads(record["config"])
    steps = [s for s in LoopState(store, loop).steps() if s["status"] == "done"]
    by_step = {(s["iteration"], s["step"]): s for s in steps}
    evals = [EvalPoint.from_result(i, step.removeprefix("eval-"), load_eval(store, row["artifact_id"]))
             for (i, step), row in by_step.items() if step.startswith("eval-")]
    evals.sort(key=lambda p: (p.iteration, MODEL_ORDER.get(p.model, 9)))
    iterations = [iteration_summary(store, i, by_step) for i in sorted({i for i, _ in by_step if i > 0})]
    return LoopSummary(name=loop, steps=steps, iterations=iterations, evals=evals,
                       base_model=config.get("base_model"))


def iteration_summary(store: Store, iteration: int, by_step: dict[tuple[int, str], dict[str, Any]]) -> IterationSummary:
    item = IterationSummary(iteration)
    if (row := by_step.get((iteration, "sft-data"))) and (sft := store.find(row["artifact_id"])):
        item.sft, item.sft_detail = sft, json.loads(row["detail"] or "{}")
        item.sft_rollouts = sources_of(store, sft, src_kind="rollouts")  # the reasoner's, and the policy's
        item.source_mix["sft"] = source_mix(store, sft)
        for info in [*item.sft_rollouts, sft]:
            item.funnels[info.ref] = funnel(store, info)
    if (row := by_step.get((iteration, "grpo-data"))) and (grpo := store.find(row["artifact_id"])):
        item.grpo = grpo
        rollouts = sources_of(store, grpo, src_kind="rollouts")
        item.grpo_rollouts = rollouts[0] if rollouts else None
        if item.grpo_rollouts is not None:
            item.pass_rate_before = pass_rates_before(store, item.grpo_rollouts)
            item.funnels[item.grpo_rollouts.ref] = funnel(store, item.grpo_rollouts)
        item.pass_rate_after = pass_rates_after(store, grpo)
        item.source_mix["grpo"] = source_mix(store, grpo)
        item.funnels[grpo.ref] = funnel(store, grpo)
    for mode in ("sft", "grpo"):
        if (row := by_step.get((iteration, f"{mode}-train"))) and (model := store.find(row["artifact_id"])):
            item.models[mode] = {"id": model.id, "name": model.name, "version": model.version, "path": str(model.path)}
    return item
