"""`thinkset check NAME[@vN]`: run the snapshot's suite, print a table, store the result, write the report."""

# No `from __future__ import annotations`: typer reads these annotations at runtime.
from pathlib import Path
from typing import Annotated

import typer
import yaml

from curation.commands.common import JsonOption, StoreOption, console, fail, open_store, print_json, table


def _load_checks(path: Path | None) -> dict:
    """The ``checks:`` mapping of a recipe file or of a YAML file holding only that mapping."""
    if path is None:
        return {}
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read checks: {exc}") from None
    checks = data.get("checks", data) if isinstance(data, dict) else None
    if not isinstance(checks, dict):
        raise ValueError(f"{path}: expected a mapping (a recipe with a `checks:` section, or the section itself)")
    return checks


def register(app: typer.Typer) -> None:
    @app.command()
    def check(
        ref: Annotated[str, typer.Argument(help="snapshot NAME or NAME@vN (default: latest version)")],
        checks: Annotated[Path | None, typer.Option(
            "--checks", help="recipe (or YAML) whose `checks:` section overrides the one recorded with the snapshot")
        ] = None,
        store: StoreOption = None,
        json_out: JsonOption = False,
    ) -> None:
        """Run the Great Expectations suite of a snapshot's kind; exit code 1 when a check fails."""
        from curation.checks.config import CheckConfigError
        from curation.checks.runner import check_snapshot, record
        from curation.store import SnapshotNotFound

        st = open_store(store)
        try:
            snapshot = st.open(ref)
            result = record(st, check_snapshot(st, snapshot, _load_checks(checks)))
        except (SnapshotNotFound, CheckConfigError, ValueError) as exc:
            fail(str(exc))
        if json_out:
            print_json(result.to_json())
        else:
            rows = [[o.name, "pass" if o.success else "FAIL", o.column or "", o.expectation, o.describe()[:120]]
                    for o in result.outcomes]
            console.print(table(f"checks of {result.snapshot_ref} ({result.kind} suite, {result.rows} rows, "
                                f"{result.seconds:.2f} s)", ["check", "result", "column", "expectation", "detail"],
                                rows))
            if not result.success:
                console.print(result.summary(), highlight=False, markup=False)
            console.print(f"report: {result.report_path}")
        if not result.success:
            raise typer.Exit(1)
