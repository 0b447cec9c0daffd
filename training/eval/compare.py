"""Compare two evals side by side: accuracy overall and per source, the difference A - B and its 95%
interval (paired over problems when both scored the same problems, else Newcombe's interval)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import polars as pl

from curation.store import SnapshotNotFound, Store, parse_ref
from training.eval.artifact import load_eval
from training.eval.models import resolve_model
from training.eval.result import EvalResult
from training.eval.stats import difference_paired, difference_unpaired


@dataclass
class ComparisonRow:
    group: str  # "overall" or a source
    n_a: int
    accuracy_a: float
    ci_a: tuple[float, float]
    n_b: int
    accuracy_b: float
    ci_b: tuple[float, float]
    difference: float  # A - B
    ci_difference: tuple[float, float]
    paired: bool


@dataclass
class Comparison:
    a: EvalResult
    b: EvalResult
    rows: list[ComparisonRow]

    def to_json(self) -> dict[str, Any]:
        return {"a": {"eval": self.a.artifact_id, "name": self.a.name, "model": self.a.model,
                      "snapshot": self.a.snapshot},
                "b": {"eval": self.b.artifact_id, "name": self.b.name, "model": self.b.model,
                      "snapshot": self.b.snapshot},
                "rows": [asdict(row) for row in self.rows]}


def _evals_of(store: Store, ref: str) -> list[dict[str, Any]]:
    """Evals named by ``ref``: an eval id, an eval artifact name[@vN], or a model (newest first)."""
    found = store.catalog.eval_by_id(ref)
    if found is not None:
        return [found]
    try:
        name, version = parse_ref(ref)
    except SnapshotNotFound:
        name, version = ref, None
    return store.catalog.evals_named(name, version) or store.catalog.evals_of_model(resolve_model(store, ref).identity)


def pick_evals(store: Store, a: str, b: str) -> tuple[EvalResult, EvalResult]:
    """The two evals to compare; for model names, the newest evals on a snapshot both were scored on."""
    evals_a, evals_b = _evals_of(store, a), _evals_of(store, b)
    for ref, found in ((a, evals_a), (b, evals_b)):
        if not found:
            raise LookupError(f"no eval of {ref!r} in store {store.root}: pass an eval id, an eval name, or a model "
                              "that was evaluated (`thinkset eval MODEL --on SNAPSHOT`)")
    snapshots_b = {row["snapshot_id"] for row in evals_b}
    common = [row for row in evals_a if row["snapshot_id"] in snapshots_b]
    if common:
        first = common[0]
        second = next(row for row in evals_b if row["snapshot_id"] == first["snapshot_id"])
        return load_eval(store, first["eval_id"]), load_eval(store, second["eval_id"])
    return load_eval(store, evals_a[0]["eval_id"]), load_eval(store, evals_b[0]["eval_id"])


def _problem_scores(result: EvalResult) -> pl.DataFrame:
    return result.rows().group_by("id").agg(pl.col("source").first(), pl.col("correct").mean().alias("score"))


def compare_evals(store: Store, a: str, b: str) -> Comparison:
    """Side-by-side figures of evals ``a`` and ``b`` (ids, eval names, or model names)."""
    first, second = pick_evals(store, a, b)
    scores_a, scores_b = _problem_scores(first), _problem_scores(second)
    paired = first.snapshot_id == second.snapshot_id and set(scores_a["id"]) == set(scores_b["id"])
    joined = scores_a.join(scores_b.select("id", pl.col("score").alias("score_b")), on="id") if paired else None
    rows = []
    for group in ["overall", *sorted(set(first.by_source) & set(second.by_source))]:
        score_a = first.overall if group == "overall" else first.by_source[group]
        score_b = second.overall if group == "overall" else second.by_source[group]
        if joined is not None:
            part = joined if group == "overall" else joined.filter(pl.col("source") == group)
            diff, low, high = difference_paired(part["score"].to_numpy(), part["score_b"].to_numpy())
        else:
            diff, low, high = difference_unpaired(score_a.accuracy, score_a.n, score_b.accuracy, score_b.n)
        rows.append(ComparisonRow(group=group, n_a=score_a.n, accuracy_a=score_a.accuracy, ci_a=score_a.ci95,
                                  n_b=score_b.n, accuracy_b=score_b.accuracy, ci_b=score_b.ci95,
                                  difference=round(diff, 6), ci_difference=(round(low, 6), round(high, 6)),
                                  paired=joined is not None))
    return Comparison(first, second, rows)
