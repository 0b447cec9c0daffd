"""Check results: what each expectation found, and how they are kept in the catalog."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from curation.rows import StageFailed
from curation.schema import row_id
from curation.store import Store


class CheckFailed(StageFailed):
    """A suite failed; the message names the failing checks and a few offending rows."""

    def __init__(self, result: CheckResult) -> None:
        self.result = result
        super().__init__(result.summary())


@dataclass
class Outcome:
    """One expectation's verdict over the whole snapshot."""

    name: str  # our short check name, e.g. answer_not_empty
    expectation: str  # the GX expectation type, or thinkset:<name> for checks made outside GX
    column: str | None
    success: bool
    element_count: int = 0
    unexpected_count: int = 0
    observed: str = ""
    examples: list[dict[str, Any]] = field(default_factory=list)  # offending values with their row ids
    message: str = ""

    @property
    def unexpected_percent(self) -> float:
        return 100.0 * self.unexpected_count / self.element_count if self.element_count else 0.0

    def describe(self) -> str:
        if self.message:
            return self.message
        if self.unexpected_count:
            return f"{self.unexpected_count} of {self.element_count} rows ({self.unexpected_percent:.2f}%)"
        if self.element_count and not self.observed:
            return f"0 of {self.element_count} rows unexpected"
        return self.observed


@dataclass
class CheckResult:
    snapshot_id: str
    snapshot_ref: str
    kind: str
    rows: int
    outcomes: list[Outcome]
    seconds: float
    config: dict[str, Any]
    run_id: str = ""
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))
    report_path: str | None = None

    def __post_init__(self) -> None:
        self.run_id = self.run_id or row_id("check", self.snapshot_id, self.created_at.isoformat())

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success]

    def summary(self, examples: int = 3) -> str:
        if self.success:
            return f"{self.snapshot_ref}: all {len(self.outcomes)} checks passed on {self.rows} rows"
        lines = [f"{self.snapshot_ref}: {len(self.failed)} of {len(self.outcomes)} checks failed on {self.rows} rows"]
        for outcome in self.failed:
            column = f" [{outcome.column}]" if outcome.column else ""
            lines.append(f"  - {outcome.name}{column} ({outcome.expectation}): {outcome.describe()}")
            for example in outcome.examples[:examples]:
                lines.append(f"      e.g. {json.dumps(example, default=str)[:200]}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["success"] = self.success
        data["created_at"] = self.created_at.isoformat()
        return data


def save_result(store: Store, result: CheckResult) -> None:
    """Record a run and its outcomes in the catalog (tables of sql/catalog_checks.sql)."""
    run = dict(run_id=result.run_id, snapshot_id=result.snapshot_id, snapshot_ref=result.snapshot_ref,
               kind=result.kind, success=result.success, rows=result.rows, expectations=len(result.outcomes),
               failed=len(result.failed), seconds=result.seconds, config=json.dumps(result.config, default=str),
               report_path=result.report_path, created_at=result.created_at)
    outcomes = [dict(run_id=result.run_id, position=index, name=o.name, expectation=o.expectation,
                     column_name=o.column, success=o.success, element_count=o.element_count,
                     unexpected_count=o.unexpected_count, observed=o.observed,
                     examples=json.dumps(o.examples, default=str), message=o.message)
                for index, o in enumerate(result.outcomes)]
    store.catalog.save_check_run(run, outcomes)


def latest_result(store: Store, snapshot_id: str) -> CheckResult | None:
    """The most recent check run of a snapshot, or None when it was never checked."""
    found = store.catalog.latest_check_run(snapshot_id)
    if found is None:
        return None
    run, rows = found
    outcomes = [Outcome(name=r["name"], expectation=r["expectation"], column=r["column_name"], success=r["success"],
                        element_count=r["element_count"], unexpected_count=r["unexpected_count"],
                        observed=r["observed"] or "", examples=json.loads(r["examples"] or "[]"),
                        message=r["message"] or "") for r in rows]
    return CheckResult(snapshot_id=run["snapshot_id"], snapshot_ref=run["snapshot_ref"], kind=run["kind"],
                       rows=run["rows"], outcomes=outcomes, seconds=run["seconds"],
                       config=json.loads(run["config"] or "{}"), run_id=run["run_id"],
                       created_at=run["created_at"], report_path=run["report_path"])
