"""`thinkset recipes list|path`: the recipes that ship with thinkset (package data)."""

# No `from __future__ import annotations`: typer reads these annotations at runtime.
from typing import Annotated

import typer

from curation.commands.common import JsonOption, console, fail, print_json, table
from curation.packaged_recipes import packaged_recipe, packaged_recipes

recipes_app = typer.Typer(help="Recipes that ship with thinkset: list them, find one to copy or run.",
                          no_args_is_help=True)


@recipes_app.command("list")
def recipes_list(json_out: JsonOption = False) -> None:
    """Every packaged recipe with its path (`thinkset run NAME` runs one)."""
    found = packaged_recipes()
    if json_out:
        print_json({name: str(path) for name, path in found.items()})
        return
    console.print(table("packaged recipes", ["name", "path"], [[name, path] for name, path in found.items()]))


@recipes_app.command("path")
def recipes_path(name: Annotated[str, typer.Argument(help="recipe name, e.g. demo")]) -> None:
    """Print where the packaged recipe NAME is installed (copy it to start your own)."""
    path = packaged_recipe(name)
    if path is None:
        fail(f"no packaged recipe {name!r}; packaged recipes: {', '.join(packaged_recipes()) or 'none'}")
    print(path)


def register(app: typer.Typer) -> None:
    app.add_typer(recipes_app, name="recipes")
