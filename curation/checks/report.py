"""The human-readable HTML report of a check run, written into the store next to (not inside) the snapshot."""

from __future__ import annotations

from pathlib import Path

import great_expectations as gx

from curation.checks.results import CheckResult
from curation.store import Store, parse_ref
from curation.templates import render


def report_path(store: Store, result: CheckResult) -> Path:
    """``<store>/reports/<name>/v<N>/checks-<run id>.html``: snapshots are immutable, so reports live beside them."""
    name, version = parse_ref(result.snapshot_ref) if result.snapshot_ref else ("unnamed", None)
    return store.root / "reports" / name / f"v{version or 0}" / f"checks-{result.run_id}.html"


def write_report(store: Store, result: CheckResult) -> Path:
    """Render the report, record its path on ``result`` and return it."""
    path = report_path(store, result)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render("check_report.html.j2", r=result, gx_version=gx.__version__))
    result.report_path = str(path)
    return path
