"""What an eval reports: accuracy with its Wilson interval overall, per source and per category, and
pass@k; built from the scored samples (one row per problem and sample)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl

from training.eval.stats import pass_at_k, pass_at_k_values, wilson


@dataclass
class GroupScore:
    """Accuracy (mean per-problem pass@1) over ``n`` problems, its 95% interval, and pass@j."""

    n: int
    accuracy: float
    ci95: tuple[float, float]
    pass_at_k: dict[int, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "accuracy": self.accuracy, "ci95": list(self.ci95),
                "pass_at_k": {str(j): v for j, v in self.pass_at_k.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GroupScore:
        return cls(n=data["n"], accuracy=data["accuracy"], ci95=tuple(data["ci95"]),  # type: ignore[arg-type]
                   pass_at_k={int(j): v for j, v in data["pass_at_k"].items()})


@dataclass
class EvalResult:
    artifact_id: str
    name: str
    model: str
    model_id: str | None
    snapshot: str
    snapshot_id: str
    backend: str
    sampling: str
    mode: str
    k: int
    style: str
    n: int
    accuracy: float
    ci95: tuple[float, float]
    pass_at_k: dict[int, float]
    by_source: dict[str, GroupScore]
    by_category: dict[str, GroupScore]
    rows_path: str
    reused: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def overall(self) -> GroupScore:
        return GroupScore(n=self.n, accuracy=self.accuracy, ci95=self.ci95, pass_at_k=self.pass_at_k)

    def rows(self) -> pl.DataFrame:
        """The scored samples: one row per problem and sample, with response, extracted answer and status."""
        return pl.read_parquet(self.rows_path)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ci95"] = list(self.ci95)
        data["pass_at_k"] = {str(j): v for j, v in self.pass_at_k.items()}
        data["by_source"] = {k: v.to_json() for k, v in self.by_source.items()}
        data["by_category"] = {k: v.to_json() for k, v in self.by_category.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EvalResult:
        data = dict(data)
        data["ci95"] = tuple(data["ci95"])
        data["pass_at_k"] = {int(j): v for j, v in data["pass_at_k"].items()}
        data["by_source"] = {k: GroupScore.from_json(v) for k, v in data["by_source"].items()}
        data["by_category"] = {k: GroupScore.from_json(v) for k, v in data["by_category"].items()}
        return cls(**data)


def per_problem(samples: pl.DataFrame, k: int) -> pl.DataFrame:
    """One row per problem: ``source``, ``category``, ``n_samples``, ``n_correct``, ``pass@j`` for each j."""
    problems = samples.group_by("id", maintain_order=True).agg(
        pl.col("source").first(), pl.col("category").first(),
        pl.len().cast(pl.Int64).alias("n_samples"), pl.col("correct").sum().cast(pl.Int64).alias("n_correct"))
    pairs = problems.select("n_samples", "n_correct").unique()
    table = pairs.with_columns(
        pl.Series(f"pass@{j}", [pass_at_k(n, c, j) for n, c in pairs.iter_rows()], dtype=pl.Float64)
        for j in pass_at_k_values(k))
    return problems.join(table, on=["n_samples", "n_correct"], how="left", maintain_order="left")


def group_score(problems: pl.DataFrame, k: int) -> GroupScore:
    n = problems.height
    values = {j: round(float(problems[f"pass@{j}"].mean() or 0.0), 6) for j in pass_at_k_values(k)}
    accuracy = values[1]
    low, high = wilson(accuracy * n, n)
    return GroupScore(n=n, accuracy=accuracy, ci95=(round(low, 6), round(high, 6)), pass_at_k=values)


def group_scores(problems: pl.DataFrame, column: str, k: int) -> dict[str, GroupScore]:
    present = problems.filter(pl.col(column).is_not_null())
    return {str(key[0]): group_score(group, k)
            for key, group in sorted(present.group_by(column), key=lambda item: str(item[0][0]))}
