"""`thinkset review push|pull|apply|stats`: the human review round trip through Argilla.

The server comes from ARGILLA_API_URL / ARGILLA_API_KEY (never stored); `make argilla`
starts a local one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from curation.commands.common import JsonOption, StoreOption, console, fail, open_store, print_json, table

review_app = typer.Typer(help="Human review in Argilla: push a sample, pull decisions, apply them, measure the "
                         "filters. Server from ARGILLA_API_URL / ARGILLA_API_KEY.", no_args_is_help=True)

Ref = Annotated[str, typer.Argument(help="snapshot NAME@vN (NAME = latest version)")]
Workspace = Annotated[str | None, typer.Option(help="Argilla workspace (default: the first one the key can see)")]


def _run(action: Callable[[], Any]) -> Any:
    """Run a review action; user-facing failures print one clear line and exit 2."""
    from curation.review.connection import ReviewError
    from curation.store import SnapshotNotFound

    try:
        return action()
    except (ReviewError, SnapshotNotFound, ValueError) as exc:
        fail(str(exc))


def _show(data: dict[str, Any], as_json: bool, title: str) -> None:
    if as_json:
        print_json(data)
        return
    rows = [[key, value] for key, value in data.items() if key != "filters"]
    console.print(table(title, ["", "value"], rows))


@review_app.command()
def push(
    ref: Ref,
    sample: Annotated[int, typer.Option(help="how many kept rows to send")] = 200,
    stratify: Annotated[str, typer.Option(help="comma-separated columns to spread the sample over")] = "source,verdict",
    include_rejected: Annotated[int, typer.Option("--include-rejected",
                                                  help="also send this many rows the filters dropped")] = 0,
    seed: Annotated[int, typer.Option(help="sampling seed")] = 0,
    workspace: Workspace = None,
    show_think: Annotated[bool, typer.Option("--show-think", help="show the think block expanded")] = False,
    store: StoreOption = None, as_json: JsonOption = False,
) -> None:
    """Send a seeded, stratified sample of a snapshot to Argilla (again: adds only rows not there yet)."""
    from curation.review.push import push as do_push

    columns = [c.strip() for c in stratify.split(",") if c.strip()]
    result = _run(lambda: do_push(open_store(store), ref, sample=sample, stratify=columns, include_rejected=include_rejected,
                                  seed=seed, workspace=workspace, show_think=show_think))
    _show(result.to_json(), as_json, f"pushed {result.snapshot} for review")


@review_app.command()
def pull(ref: Ref, workspace: Workspace = None, store: StoreOption = None, as_json: JsonOption = False) -> None:
    """Copy submitted responses from Argilla into the catalog (pulling twice changes nothing)."""
    from curation.review.pull import pull as do_pull

    counts = _run(lambda: do_pull(open_store(store), ref, workspace=workspace))
    _show(counts, as_json, f"pulled review responses of {counts['snapshot']}")


@review_app.command("apply")
def apply_cmd(ref: Ref, workspace: Workspace = None, store: StoreOption = None, as_json: JsonOption = False) -> None:
    """Write the next snapshot version with the pulled decisions: rejected rows dropped, answers corrected."""
    from curation.review.apply import apply as do_apply

    result = _run(lambda: do_apply(open_store(store), ref, workspace=workspace))
    _show(result.to_json(), as_json, f"applied review of {result.parent} -> {result.snapshot}")


@review_app.command()
def stats(ref: Ref, workspace: Workspace = None, store: StoreOption = None, as_json: JsonOption = False) -> None:
    """Responses so far, accept rate, and reviewer agreement with each automatic filter (from the catalog)."""
    from curation.review.stats import review_stats

    data = _run(lambda: review_stats(open_store(store), ref, workspace=workspace))
    _show(data, as_json, f"review of {data['snapshot']}")
    if not as_json:
        columns = ["stage", "kept_reviewed", "kept_accepted", "precision_kept", "dropped_reviewed",
                   "dropped_rejected", "precision_dropped"]
        console.print(table("reviewer agreement with the filters", columns,
                            [[row[c] for c in columns] for row in data["filters"]]))


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")
