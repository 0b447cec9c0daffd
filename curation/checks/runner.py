"""Run a kind's suite over a snapshot (or rows flowing through a pipeline) with Great Expectations.

GX runs in an ephemeral context (nothing written to disk, no project folder).
Per-row expectations run batch by batch and their counts are summed; checks
that compare rows run once on a narrow frame of every row.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # never phone home, even where the network is open

import great_expectations as gx  # noqa: E402
import pandas as pd  # noqa: E402
import polars as pl  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402
from great_expectations.expectations.expectation import Expectation  # noqa: E402

from curation.checks.adapter import ImageProbe, row_frames, source_shares, table_frame  # noqa: E402
from curation.checks.config import CheckConfig, resolve_config  # noqa: E402
from curation.checks.results import CheckResult, Outcome  # noqa: E402
from curation.checks.suites import Suite, build_suite  # noqa: E402
from curation.schema import SCHEMAS, compatible  # noqa: E402
from curation.store import Snapshot, Store  # noqa: E402

MAX_EXAMPLES = 20


class _Validator:
    """One ephemeral GX context; validates expectation lists against pandas frames."""

    def __init__(self) -> None:
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.source = self.context.data_sources.add_pandas(f"thinkset-{uuid.uuid4().hex[:8]}")
        self.definition = self.source.add_dataframe_asset("rows").add_batch_definition_whole_dataframe("all")
        self.suites: dict[str, gx.ExpectationSuite] = {}

    def validate(self, label: str, expectations: list[Expectation], frame: pd.DataFrame) -> list[Any]:
        if label not in self.suites:
            suite = gx.ExpectationSuite(name=f"{label}-{uuid.uuid4().hex[:8]}")
            for expectation in expectations:
                suite.add_expectation(expectation)
            self.suites[label] = suite
        result_format: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": MAX_EXAMPLES}
        if "id" in frame.columns:
            result_format["unexpected_index_column_names"] = ["id"]
        batch = self.definition.get_batch(batch_parameters={"dataframe": frame})
        return list(batch.validate(self.suites[label], result_format=result_format).results)


def _merge(outcomes: dict[str, Outcome], results: list[Any]) -> None:
    """Fold one frame's GX results into the running outcomes (counts add up over batches)."""
    for result in results:
        config = result.expectation_config
        name = config.meta["check"]
        outcome = outcomes[name]
        details = result.result or {}
        outcome.success = outcome.success and bool(result.success)
        outcome.element_count += int(details.get("element_count") or 0)
        outcome.unexpected_count += int(details.get("unexpected_count") or 0)
        if "observed_value" in details:
            outcome.observed = str(details["observed_value"])[:500]
        examples = details.get("partial_unexpected_index_list") or [
            {"value": v} for v in details.get("partial_unexpected_list") or []]
        room = MAX_EXAMPLES - len(outcome.examples)
        outcome.examples.extend(examples[:max(room, 0)])
        info = result.exception_info or {}
        if info.get("raised_exception"):
            outcome.success = False
            outcome.message = f"could not evaluate: {info.get('exception_message')}"


def _schema_outcomes(schema: pl.Schema, kind: str) -> list[Outcome]:
    """Required columns present and of the kind's types (read from the parquet schema, not the values)."""
    required = SCHEMAS[kind]
    missing = [c for c in required if c not in schema]
    mistyped = [f"{c} is {schema[c]}, expected {t}" for c, t in required.items()
                if c in schema and not compatible(schema[c], t)]
    return [
        Outcome("columns_present", "thinkset:columns_present", None, not missing, observed=", ".join(schema.names()),
                message=f"missing columns: {', '.join(missing)}" if missing else ""),
        Outcome("column_types", "thinkset:column_types", None, not mistyped,
                message="; ".join(mistyped) if mistyped else ""),
    ]


def _outcome_for(expectation: Expectation) -> Outcome:
    return Outcome(name=expectation.meta["check"], expectation=expectation.expectation_type,
                   column=getattr(expectation, "column", None), success=True)


def check_frame(lazy: pl.LazyFrame, kind: str, config: CheckConfig, store: Store, *, snapshot_id: str = "",
                snapshot_ref: str = "", batch_rows: int = 50_000, probe: ImageProbe | None = None) -> CheckResult:
    """Run the ``kind`` suite over ``lazy`` (a snapshot scan or the rows at a pipeline stage).

    ``probe`` carries image verdicts between runs over the same images (the check stage runs twice).
    """
    started = time.perf_counter()
    schema = lazy.collect_schema()
    suite: Suite = build_suite(kind, config, schema.names())
    outcomes = {o.name: o for o in _schema_outcomes(schema, kind)}
    for expectation in suite.row + suite.table + suite.mix:
        outcomes[expectation.meta["check"]] = _outcome_for(expectation)
    validator = _Validator()
    if probe is None or probe.mode != config.images:
        probe = ImageProbe(store.images, mode=config.images)
    rows = 0  # the rows checked: summed over the row batches, never taken from the narrow table frame
    if suite.row:
        for frame in row_frames(lazy, suite.row_columns, probe, config.require_images, batch_rows):
            rows += len(frame)
            _merge(outcomes, validator.validate("row", suite.row, frame))
    else:
        rows = int(lazy.select(pl.len()).collect().item())
    table = table_frame(lazy, suite.table_columns)
    _merge(outcomes, validator.validate("table", suite.table, table))
    if suite.mix and "source" in schema:
        _merge(outcomes, validator.validate("mix", suite.mix, source_shares(lazy, list(config.source_mix))))
    return CheckResult(snapshot_id=snapshot_id, snapshot_ref=snapshot_ref, kind=kind, rows=rows,
                       outcomes=list(outcomes.values()), seconds=round(time.perf_counter() - started, 3),
                       config=config.model_dump(mode="json"))


def snapshot_checks_config(snapshot: Snapshot) -> dict[str, Any]:
    """The ``checks:`` section its recipe recorded in the manifest (empty when none)."""
    return dict((snapshot.manifest.get("metadata") or {}).get("checks") or {})


def check_snapshot(store: Store, snapshot: Snapshot, checks: dict[str, Any] | None = None,
                   batch_rows: int = 50_000, probe: ImageProbe | None = None) -> CheckResult:
    """Check a committed snapshot; ``checks`` overrides what its recipe recorded."""
    raw = {**snapshot_checks_config(snapshot), **(checks or {})}
    config = resolve_config(snapshot.info.kind, raw, where=f"checks of {snapshot.info.ref}")
    return check_frame(snapshot.scan(), snapshot.info.kind, config, store, snapshot_id=snapshot.info.id,
                       snapshot_ref=snapshot.info.ref, batch_rows=batch_rows, probe=probe)


def record(store: Store, result: CheckResult) -> CheckResult:
    """Write the HTML report and store the result in the catalog; the snapshot's verdict is its latest run."""
    from curation.checks.report import write_report
    from curation.checks.results import save_result

    write_report(store, result)
    save_result(store, result)
    return result
