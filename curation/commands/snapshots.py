"""`thinkset snapshots list|show|diff`, `lineage`, `funnel` and `rejections`: reading what the store holds."""

# No `from __future__ import annotations`: typer reads these annotations at runtime.
import json
from typing import Annotated

import polars as pl
import typer

from curation.commands.common import JsonOption, StoreOption, console, fail, open_store, print_json, table
from curation.store import SnapshotNotFound, Store
from curation.store.diff import diff_snapshots
from curation.store.funnel import funnel_rows

snapshots_app = typer.Typer(help="List, inspect and compare snapshots.", no_args_is_help=True)


@snapshots_app.command("list")
def snapshots_list(store: StoreOption = None, json_out: JsonOption = False) -> None:
    """Every snapshot version in the store."""
    infos = open_store(store).list()
    if json_out:
        print_json([{k: i.to_json()[k] for k in ("name", "version", "kind", "rows", "id", "parents", "created_at")}
                    for i in infos])
        return
    console.print(table("snapshots", ["ref", "kind", "rows", "id", "parents", "created"],
                        [[i.ref, i.kind, i.rows, i.id, ",".join(i.parents), i.created_at] for i in infos]))


@snapshots_app.command("show")
def snapshots_show(ref: str, store: StoreOption = None, json_out: JsonOption = False,
                   rows: Annotated[int, typer.Option(help="sample rows to print")] = 3) -> None:
    """Schema, counts, source mix and a few rows of a snapshot."""
    try:
        snap = open_store(store).open(ref)
    except SnapshotNotFound as exc:
        fail(str(exc))
    frame = snap.scan()
    schema = frame.collect_schema()
    mix = (frame.group_by("source").agg(pl.len().alias("rows")).sort("rows", descending=True).collect()
           if "source" in schema else pl.DataFrame())
    info = snap.info.to_json()
    if json_out:
        print_json({**info, "schema": {k: str(v) for k, v in schema.items()},
                    "source_mix": dict(zip(mix["source"].to_list(), mix["rows"].to_list(), strict=True)) if mix.height else {}})
        return
    console.print(f"[bold]{snap.info.ref}[/]  kind={snap.info.kind}  rows={snap.info.rows}  id={snap.info.id}")
    console.print(f"path: {snap.path}\nparents: {', '.join(snap.info.parents) or '-'}  created: {snap.info.created_at}")
    console.print(table("schema", ["column", "type"], [[k, v] for k, v in schema.items()]))
    if mix.height:
        console.print(table("source mix", ["source", "rows", "share"],
                            [[s, r, f"{r / max(snap.info.rows, 1):.1%}"] for s, r in mix.iter_rows()]))
    sample = frame.head(rows).collect()
    shown = [c for c in ("id", "source", "problem", "answer", "response") if c in sample.columns]
    console.print(table("sample rows", shown, [[str(v)[:160] for v in r] for r in sample.select(shown).iter_rows()]))


@snapshots_app.command("diff")
def snapshots_diff(a: str, b: str, store: StoreOption = None, json_out: JsonOption = False) -> None:
    """Rows added, removed and changed from A to B (by row id), and which columns changed."""
    st = open_store(store)
    try:
        result = diff_snapshots(st.open(a), st.open(b))
    except SnapshotNotFound as exc:
        fail(str(exc))
    if json_out:
        print_json(result.to_json())
        return
    console.print(f"{a} -> {b}: [green]+{len(result.added)} added[/], [red]-{len(result.removed)} removed[/], "
                  f"[yellow]~{len(result.changed)} changed[/]")
    if result.column_changes:
        console.print(table("changed columns", ["column", "rows changed"], [[k, v] for k, v in result.column_changes.items()]))
    for label, cols in (("columns added", result.columns_added), ("columns removed", result.columns_removed)):
        if cols:
            console.print(f"{label}: {', '.join(cols)}")
    for label, ids in (("added", result.added), ("removed", result.removed), ("changed", result.changed)):
        if ids:
            console.print(f"{label} ids (first 10): {', '.join(ids[:10])}")


def lineage(ref: str, store: StoreOption = None, json_out: JsonOption = False) -> None:
    """Where an artifact came from (ancestors) and what was made from it."""
    st = open_store(store)
    try:
        info = st.resolve(ref)
    except SnapshotNotFound as exc:
        fail(str(exc))
    edges = st.lineage(info.id)
    if json_out:
        print_json({"artifact": info.to_json(), "edges": edges})
        return
    console.print(f"[bold]{info.ref}[/] ({info.kind}, id {info.id})")
    for edge in edges:
        arrow = f"{edge['src_name']}@v{edge['src_version']} --{edge['kind']}--> {edge['dst_name']}@v{edge['dst_version']}"
        console.print(("  " * edge["depth"]) + ("↑ " if edge["direction"] == "ancestor" else "↓ ") + arrow)
    if not edges:
        console.print("  (no edges: a root artifact)")


def print_funnel(st: Store, ref: str) -> None:
    rows = funnel_rows(st, ref)
    console.print(table(f"funnel of {ref}", ["snapshot", "stage", "type", "in", "out", "dropped", "reasons"],
                        [[r["snapshot"], r["stage"], r["stage_type"], r["rows_in"], r["rows_out"], r["dropped"],
                          r["reasons"]] for r in rows]))


def funnel(ref: str, store: StoreOption = None, json_out: JsonOption = False) -> None:
    """Rows in -> out per stage and per drop reason, from the pool down to REF."""
    st = open_store(store)
    try:
        rows = funnel_rows(st, ref)
    except SnapshotNotFound as exc:
        fail(str(exc))
    if json_out:
        print_json(rows)
    else:
        print_funnel(st, ref)


def rejections_frame(store: Store, ref: str, reason: str | None, stage: str | None, limit: int) -> pl.DataFrame:
    """Dropped rows of ``ref`` (optionally one reason / stage), with a short preview of each row."""
    lazy = store.open(ref).rejections()
    if reason:
        lazy = lazy.filter(pl.col("reason") == reason)
    if stage:
        lazy = lazy.filter(pl.col("stage") == stage)
    return lazy.sort("stage_index", "row_id").head(limit).collect()


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
    if frame.height == 0:
        counts = opened.open(ref).rejections().group_by("reason").len().sort("len", descending=True).collect()
        known = ", ".join(f"{r}={n}" for r, n in counts.iter_rows()) or "none"
        fail(f"no rejected rows in {ref} match (reasons in this snapshot: {known})", code=1)
    if json_out:
        rows = [{**r, "row": json.loads(r["row"])} for r in frame.iter_rows(named=True)]
        typer.echo(json.dumps(rows, ensure_ascii=False, default=str))
        return
    preview = []
    for row in frame.iter_rows(named=True):
        data = json.loads(row["row"])
        text = str(data.get("response") or data.get("problem") or "")
        preview.append([row["stage"], row["reason"], row["row_id"], row["detail"],
                        text[:160] + ("…" if len(text) > 160 else "")])
    console.print(table(f"rejections of {ref}", ["stage", "reason", "row_id", "detail", "response / problem"],
                        preview))


def register(app: typer.Typer) -> None:
    """Add `snapshots`, `lineage`, `funnel` and `rejections` to ``app``."""
    app.add_typer(snapshots_app, name="snapshots")
    app.command()(lineage)
    app.command()(funnel)
    app.command()(rejections)
