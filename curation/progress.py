"""Progress bars with counts and rate (rich), quiet when output is not a terminal or THINKSET_QUIET is set."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

# Logs and CI are not terminals: rich would wrap tables and bars at 80 columns there.
WIDTH = None if sys.stdout.isatty() else 160
console = Console(stderr=True, width=WIDTH)


def _enabled() -> bool:
    return not os.environ.get("THINKSET_QUIET")


@contextmanager
def progress_bar(description: str, total: int | None, unit: str = "rows") -> Iterator:
    """Yields ``advance(n, **fields)``; shows done/total, rate and time left."""
    if not _enabled():
        yield lambda n=1, **fields: None
        return
    columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("[cyan]{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
               TextColumn("{task.fields[extra]}")]
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(description, total=total, rate="", extra="")

        def advance(n: int = 1, **fields: object) -> None:
            progress.advance(task, n)
            speed = progress.tasks[task].speed
            extra = " ".join(f"{k}={v}" for k, v in fields.items())
            progress.update(task, rate=f"{speed:,.0f} {unit}/s" if speed else "", extra=extra)

        yield advance
