"""`thinkset run RECIPE`: validate a recipe, run its stages, write its snapshots and print the funnel."""

# No `from __future__ import annotations`: typer reads these annotations at runtime.
from pathlib import Path
from typing import Annotated

import typer

from curation.commands.common import StoreOption, console, fail, open_store
from curation.commands.snapshots import print_funnel
from curation.recipe import RecipeError, load_recipe
from curation.rows import StageFailed
from curation.store import SnapshotNotFound


def run(
    recipe: Annotated[Path, typer.Argument(help="recipe YAML file, or a packaged recipe by name (thinkset recipes list)")],
    store: StoreOption = None,
    backend: Annotated[str | None, typer.Option(help="generation backend override (openai, vllm, transformers, synthetic)")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="OpenAI-compatible server URL")] = None,
    model: Annotated[str | None, typer.Option(help="model id override for generation stages")] = None,
    executor: Annotated[str | None, typer.Option(help="where stages run: local (default) or ray")] = None,
    ray_address: Annotated[str | None, typer.Option("--ray-address", help="Ray cluster to join with --executor "
                                                    "ray: auto, ray://HOST:10001 (default: start Ray here)")] = None,
) -> None:
    """Run a recipe: validate it, then run its stages and write its snapshots."""
    from curation.pipeline import run_recipe

    try:
        parsed = load_recipe(recipe)
        result = run_recipe(parsed, open_store(store), {"backend": backend, "base_url": base_url, "model": model,
                                                        "executor": executor, "ray_address": ray_address})
    except (RecipeError, SnapshotNotFound, StageFailed) as exc:
        fail(str(exc))
    st = open_store(store)
    for info in result.reused:
        console.print(f"up to date: [bold]{info.ref}[/] ({info.rows} rows, id {info.id})")
    for info in result.snapshots:
        console.print(f"wrote [bold]{info.ref}[/] ({info.kind}, {info.rows} rows) at {info.path}")
    print_funnel(st, result.final.ref)


def register(app: typer.Typer) -> None:
    app.command()(run)
