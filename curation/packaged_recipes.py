"""The recipes shipped in the ``recipes`` package: found by name, read with importlib.resources."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

RECIPE_PACKAGE = "recipes"  # the top-level recipes/ folder, shipped as a package


def packaged_recipes() -> dict[str, Path]:
    """Name (file stem) -> path of every packaged recipe, sorted by name."""
    root = resources.files(RECIPE_PACKAGE)
    found = {f.name.removesuffix(".yaml"): Path(str(f)) for f in root.iterdir() if f.name.endswith(".yaml")}
    return dict(sorted(found.items()))


def packaged_recipe(name: str) -> Path | None:
    """The path of the packaged recipe ``name`` (``demo`` or ``demo.yaml``), or None when there is none."""
    return packaged_recipes().get(name.removesuffix(".yaml"))
