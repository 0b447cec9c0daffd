"""The `thinkset` command: one CLI with a few verbs and sub-verbs.

Feature modules add their verbs through ``register(app)``; they are listed in
COMMAND_MODULES so that adding a feature adds one line here.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from curation.progress import WIDTH
from curation.recipe import RecipeError, load_recipe
from curation.rows import StageFailed
from curation.store import SnapshotNotFound, Store
from curation.store.diff import diff_snapshots
from curation.store.funnel import funnel_rows

app = typer.Typer(name="thinkset", help="Build, filter, check, review, version and publish visual-reasoning "
                  "SFT/GRPO datasets, and train on them.", no_args_is_help=True, pretty_exceptions_enable=False)
snapshots_app = typer.Typer(help="List, inspect and compare snapshots.", no_args_is_help=True)
pool_app = typer.Typer(help="Make pool snapshots: synthetic problems or your own data.", no_args_is_help=True)
app.add_typer(snapshots_app, name="snapshots")
app.add_typer(pool_app, name="pool")
console = Console(width=WIDTH)
err_console = Console(stderr=True, width=WIDTH)

COMMAND_MODULES: tuple[str, ...] = (
    "curation.checks.cli",
    "curation.filters.cli",
    "curation.publish.cli",
    "curation.review.cli",
    "training.cli",
    "training.eval.cli",
)

StoreOption = Annotated[Path | None, typer.Option("--store", envvar="THINKSET_STORE",
                                                  help="store folder (default ./thinkset-store)")]
JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable output")]


class UserError(Exception):
    """Bad input from the user: printed without a traceback, exit code 2."""


def open_store(store: Path | None) -> Store:
    return Store(store)


def fail(message: str, code: int = 2) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    out = Table(title=title, title_justify="left")
    for column in columns:
        out.add_column(column, overflow="fold")
    for row in rows:
        out.add_row(*["" if v is None else str(v) for v in row])
    return out


# -- run --------------------------------------------------------------------------
@app.command()
def run(
    recipe: Annotated[Path, typer.Argument(help="recipe YAML file")],
    store: StoreOption = None,
    backend: Annotated[str | None, typer.Option(help="generation backend override (openai, vllm, transformers, synthetic)")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="OpenAI-compatible server URL")] = None,
    model: Annotated[str | None, typer.Option(help="model id override for generation stages")] = None,
) -> None:
    """Run a recipe: validate it, then run its stages and write its snapshots."""
    from curation.pipeline import run_recipe

    try:
        parsed = load_recipe(recipe)
        result = run_recipe(parsed, open_store(store), {"backend": backend, "base_url": base_url, "model": model})
    except (RecipeError, SnapshotNotFound, StageFailed) as exc:
        fail(str(exc))
        return
    st = open_store(store)
    for info in result.reused:
        console.print(f"up to date: [bold]{info.ref}[/] ({info.rows} rows, id {info.id})")
    for info in result.snapshots:
        console.print(f"wrote [bold]{info.ref}[/] ({info.kind}, {info.rows} rows) at {info.path}")
    print_funnel(st, result.final.ref)


# -- pool -------------------------------------------------------------------------
@pool_app.command("synth")
def pool_synth(
    n: Annotated[int, typer.Option("--n", min=1, help="number of problems")] = 2000,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    name: Annotated[str, typer.Option(help="snapshot name")] = "pool-synth",
    store: StoreOption = None,
) -> None:
    """Draw a synthetic pool (charts, geometry, counting, tables) with known answers."""
    from curation.sources.pool import write_synthetic_pool

    info = write_synthetic_pool(open_store(store), n=n, seed=seed, name=name)
    console.print(f"pool [bold]{info.ref}[/]: {info.rows} problems at {info.path}")


@pool_app.command("ingest")
def pool_ingest(
    path: Annotated[str, typer.Argument(help="local folder/file (HF datasets, parquet, jsonl) or a hub dataset id")],
    layout: Annotated[str, typer.Option(help="auto|hf|sharegpt|easyr1|llava")] = "auto",
    name: Annotated[str | None, typer.Option(help="snapshot name (default pool-<folder name>)")] = None,
    source: Annotated[str | None, typer.Option(help="source label for rows without one")] = None,
    column: Annotated[list[str] | None, typer.Option("--column", help="column mapping FIELD=COLUMN, repeatable")] = None,
    answer_pattern: Annotated[str | None, typer.Option(help="regex whose group 1 is the answer (llava)")] = None,
    store: StoreOption = None,
) -> None:
    """Read your own data into a pool snapshot; unreadable rows are quarantined with a reason."""
    from curation.sources.pool import write_ingested_pool

    columns = {}
    for item in column or []:
        if "=" not in item:
            fail(f"--column {item!r}: write FIELD=COLUMN, e.g. --column problem=question")
        key, value = item.split("=", 1)
        columns[key.strip()] = value.strip()
    snapshot_name = name or f"pool-{Path(path.rstrip('/')).name.replace('/', '-')}"
    try:
        info, quarantined = write_ingested_pool(open_store(store), path, layout=layout, name=snapshot_name,
                                                columns=columns, answer_pattern=answer_pattern, source=source)
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
        return
    console.print(f"pool [bold]{info.ref}[/]: {info.rows} problems at {info.path}")
    if quarantined:
        console.print(f"[yellow]{quarantined} rows quarantined[/]: `thinkset rejections {info.ref}` shows why")


# -- snapshots ----------------------------------------------------------------------
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
        return
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
        return
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


# -- lineage and funnel -------------------------------------------------------------
@app.command()
def lineage(ref: str, store: StoreOption = None, json_out: JsonOption = False) -> None:
    """Where an artifact came from (ancestors) and what was made from it."""
    st = open_store(store)
    try:
        info = st.resolve(ref)
    except SnapshotNotFound as exc:
        fail(str(exc))
        return
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


@app.command()
def funnel(ref: str, store: StoreOption = None, json_out: JsonOption = False) -> None:
    """Rows in -> out per stage and per drop reason, from the pool down to REF."""
    st = open_store(store)
    try:
        rows = funnel_rows(st, ref)
    except SnapshotNotFound as exc:
        fail(str(exc))
        return
    if json_out:
        print_json(rows)
    else:
        print_funnel(st, ref)


def _register_feature_commands() -> None:
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(app)


_register_feature_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
