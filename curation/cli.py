"""The `thinkset` command: one CLI with a few verbs and sub-verbs, assembled here.

The core verbs live in ``curation.commands``, each feature's verbs in its own ``cli.py`` beside the
feature (checks, publish, review, training); every one of them imports only ``curation.commands.common``
and the layers below it. This module is the top of the import graph: adding a feature adds one line to
FEATURES.
"""

from __future__ import annotations

import sys

import typer

from curation import __version__
from curation.checks import cli as checks_cli
from curation.commands import pool, recipes, run, snapshots, stages, store
from curation.publish import cli as publish_cli
from curation.review import cli as review_cli
from curation.store.catalog import CatalogBusy
from training import cli as training_cli
from training.eval import cli as eval_cli
from training.loop import cli as loop_cli

app = typer.Typer(name="thinkset", help="Build, filter, check, review, version and publish visual-reasoning "
                  "SFT/GRPO datasets, and train on them.", no_args_is_help=True, pretty_exceptions_enable=False)

# Each module adds its verbs with ``register(app)``, in the order `thinkset --help` lists them.
CORE = (run, pool, snapshots, stages, recipes, store)
FEATURES = (checks_cli, publish_cli, review_cli, training_cli, eval_cli, loop_cli)
for commands in (*CORE, *FEATURES):
    commands.register(app)


def _print_version(value: bool) -> None:
    if value:
        print(f"thinkset {__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                          help="print the thinkset version and exit")) -> None:
    """Build, filter, check, review, version and publish visual-reasoning SFT/GRPO datasets, and train on them."""


def main() -> None:
    try:
        app()
    except CatalogBusy as exc:  # another process held the catalog file far longer than a commit takes
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
