"""``thinkset rejections NAME``: the rows a snapshot's stages dropped, with their reason and detail."""


import json
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from curation.progress import WIDTH
from curation.store import Store

console = Console(width=WIDTH)


def rejections_frame(store: Store, ref: str, reason: str | None, stage: str | None, limit: int) -> pl.DataFrame:
    """Dropped rows of ``ref`` (optionally one reason / stage), with a short preview of each row."""
    lazy = store.open(ref).rejections()
    if reason:
        lazy = lazy.filter(pl.col("reason") == reason)
    if stage:
        lazy = lazy.filter(pl.col("stage") == stage)
    return lazy.sort("stage_index", "row_id").head(limit).collect()


def register(app: typer.Typer) -> None:
    from curation.cli import JsonOption, StoreOption, fail, open_store
    from curation.store import SnapshotNotFound

    @app.command()
    def rejections(
        ref: Annotated[str, typer.Argument(help="snapshot NAME or NAME@vN")],
        reason: Annotated[str | None, typer.Option("--reason", help="only this reason, e.g. wrong_answer")] = None,
        stage: Annotated[str | None, typer.Option("--stage", help="only this stage name")] = None,
        limit: Annotated[int, typer.Option("--limit", min=1, help="rows to show")] = 20,
        store: StoreOption = None,
        json_out: JsonOption = False,
    ) -> None:
        """Show dropped rows with their stage, reason and detail."""
        opened = open_store(store)
        try:
            frame = rejections_frame(opened, ref, reason, stage, limit)
        except SnapshotNotFound as exc:
            fail(str(exc))
            return
        if frame.height == 0:
            counts = opened.open(ref).rejections().group_by("reason").len().sort("len", descending=True).collect()
            known = ", ".join(f"{r}={n}" for r, n in counts.iter_rows()) or "none"
            fail(f"no rejected rows in {ref} match (reasons in this snapshot: {known})", code=1)
        if json_out:
            rows = [{**r, "row": json.loads(r["row"])} for r in frame.iter_rows(named=True)]
            typer.echo(json.dumps(rows, ensure_ascii=False, default=str))
            return
        table = Table(title=f"rejections of {ref}")
        for column in ("stage", "reason", "row_id", "detail", "response / problem"):
            table.add_column(column, overflow="fold")
        for row in frame.iter_rows(named=True):
            data = json.loads(row["row"])
            text = str(data.get("response") or data.get("problem") or "")
            table.add_row(row["stage"], row["reason"], str(row["row_id"]), row["detail"],
                          text[:160] + ("…" if len(text) > 160 else ""))
        console.print(table)
