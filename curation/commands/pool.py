"""`thinkset pool synth|ingest`: make pool snapshots from synthetic problems or your own data."""

# No `from __future__ import annotations`: typer reads these annotations at runtime.
from pathlib import Path
from typing import Annotated

import typer

from curation.commands.common import StoreOption, console, fail, open_store

pool_app = typer.Typer(help="Make pool snapshots: synthetic problems or your own data.", no_args_is_help=True)


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
    console.print(f"pool [bold]{info.ref}[/]: {info.rows} problems at {info.path}")
    if quarantined:
        console.print(f"[yellow]{quarantined} rows quarantined[/]: `thinkset rejections {info.ref}` shows why")


def register(app: typer.Typer) -> None:
    app.add_typer(pool_app, name="pool")
