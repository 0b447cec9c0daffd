"""What every `thinkset` command shares: the consoles, ``fail``, JSON and table output, the ``--store`` and
``--json`` options and ``open_store``.

This module imports no feature: the core commands and each feature's ``cli.py`` import it, and the
top-level ``curation.cli`` assembles them all, so the CLI depends downward only.
"""

# No `from __future__ import annotations`: typer reads these annotations at runtime.
import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from curation.progress import WIDTH, stderr_console
from curation.redact import redact_text
from curation.store import Store

console = Console(width=WIDTH)
err_console = stderr_console()  # the one stderr console: errors, progress bars and run summaries

StoreOption = Annotated[str | None, typer.Option("--store", envvar="THINKSET_STORE",
                                                 help="store folder or URL (file://, s3://, gs://; "
                                                      "default ./thinkset-store)")]
JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def open_store(store: str | Path | None) -> Store:
    """The store at ``store`` (``--store`` / THINKSET_STORE), or the default ``./thinkset-store``; a URL no
    filesystem understands or a folder that cannot be made is a one-line error (credentials redacted)."""
    try:
        return Store(store)
    except (ValueError, OSError) as exc:
        fail(redact_text(f"cannot open the store {store or '(default)'}: {exc}"))


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code`` (2: bad input, 1: a failed check)."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    """A left-titled table; cells are shown as written (``[...]`` in data or help text is not markup)."""
    out = Table(title=title, title_justify="left")
    for column in columns:
        out.add_column(column, overflow="fold")
    for row in rows:
        out.add_row(*["" if v is None else escape(str(v)) for v in row])
    return out
