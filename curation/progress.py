"""Progress bars with counts and rate (rich), quiet when output is not a terminal or THINKSET_QUIET is set.

rich is imported on first use, so that stages (and parsing a recipe, which imports every stage) do not load it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

# Logs and CI are not terminals: rich would wrap tables and bars at 80 columns there.
WIDTH = None if sys.stdout.isatty() else 160


@cache
def stderr_console() -> Console:
    """The console progress bars and run summaries print to (stderr, so stdout stays data)."""
    from rich.console import Console

    return Console(stderr=True, width=WIDTH)


def _enabled() -> bool:
    return not os.environ.get("THINKSET_QUIET")


@contextmanager
def progress_bar(description: str, total: int | None, unit: str = "rows") -> Iterator:
    """Yields ``advance(n, **fields)``; shows done/total, rate and time left."""
    if not _enabled():
        yield lambda n=1, **fields: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("[cyan]{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
               TextColumn("{task.fields[extra]}")]
    with Progress(*columns, console=stderr_console(), transient=False) as progress:
        task = progress.add_task(description, total=total, rate="", extra="")

        def advance(n: int = 1, **fields: object) -> None:
            progress.advance(task, n)
            speed = progress.tasks[task].speed
            extra = " ".join(f"{k}={v}" for k, v in fields.items())
            progress.update(task, rate=f"{speed:,.0f} {unit}/s" if speed else "", extra=extra)

        yield advance
