"""`thinkset publish` (checked, carded, verified upload to the Hub) and `thinkset export` (plain files)."""

# No `from __future__ import annotations`: typer reads these annotations at runtime.
from pathlib import Path
from typing import Annotated

import typer

from curation.commands.common import JsonOption, StoreOption, console, fail, open_store, print_json


def register(app: typer.Typer) -> None:
    @app.command()
    def publish(
        ref: Annotated[str, typer.Argument(help="snapshot NAME@vN (NAME = latest version)")],
        repo: Annotated[str, typer.Option("--repo", help="Hub dataset repo, org/name")],
        private: Annotated[bool, typer.Option("--private", help="create the repo private")] = False,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="write and verify the folder, upload nothing")] = False,
        out: Annotated[Path | None, typer.Option("--out", help="folder for --dry-run "
                                                 "(default <store>/publish/NAME/vN)")] = None,
        force: Annotated[bool, typer.Option("--force", help="publish even if checks failed or never ran "
                                            "(the card says so)")] = False,
        license: Annotated[str, typer.Option("--license", help="license id for the card (Hub license list)")] = "other",
        columns: Annotated[str, typer.Option("--columns", help="default (what a trainer and a reader need), all, "
                                             "or a comma list; the card lists what was left out")] = "default",
        store: StoreOption = None,
        json_out: JsonOption = False,
    ) -> None:
        """Write the Hub layout and card, load it back with `datasets`, then upload and tag it as vN."""
        from curation.checks.results import latest_result
        from curation.publish.publish import PublishError, publish_snapshot
        from curation.publish.verify import LayoutError
        from curation.store import SnapshotNotFound

        if out is not None and not dry_run:
            fail("--out is for --dry-run; a real publish uploads from a temporary folder")
        st = open_store(store)
        try:
            result = publish_snapshot(st, ref, repo, private=private, dry_run=dry_run, out=out, force=force,
                                      license=license, columns=columns)
        except (SnapshotNotFound, PublishError, LayoutError) as exc:
            fail(str(exc))
        if json_out:
            upload = result.upload
            print_json({"ref": result.ref, "folder": str(result.folder), "card": str(result.card),
                        "rows": result.rows, "files": result.files, "forced": result.forced,
                        "columns": result.columns, "left_out": result.left_out,
                        "upload": None if upload is None else vars(upload)})
            return
        if result.forced:
            check = latest_result(st, st.open(result.ref).info.id)
            state = "never checked" if check is None else "checks failed"
            console.print(f"[yellow]forced:[/] {result.ref} {state}; the card says so")
        console.print(f"verified {result.rows} rows with datasets.load_dataset ({len(result.files)} files)")
        if result.upload is None:
            console.print(f"dry run: Hub folder at {result.folder}\ncard: {result.card}")
        else:
            console.print(f"published {result.ref} to {result.upload.repo} at {result.upload.revision} "
                          f"(tag {result.upload.tag}): {result.upload.commit_url}")

    @app.command()
    def export(
        ref: Annotated[str, typer.Argument(help="snapshot NAME@vN (NAME = latest version)")],
        format: Annotated[str, typer.Option("--format", help="hf | jsonl | parquet (and trainer layouts: "
                                            "llamafactory | easyr1 | trl)")],
        out: Annotated[Path, typer.Option("--out", help="output folder")],
        store: StoreOption = None,
        json_out: JsonOption = False,
    ) -> None:
        """Write a snapshot as files: the Hub folder, JSON lines or parquet (images in images/)."""
        from curation.publish.export import ExporterUnavailable, export_snapshot
        from curation.publish.verify import LayoutError
        from curation.store import SnapshotNotFound

        st = open_store(store)
        try:
            summary = export_snapshot(st.open(ref), st, format, out)
        except (SnapshotNotFound, LayoutError, ExporterUnavailable, ValueError) as exc:
            fail(str(exc))
        if json_out:
            print_json(summary)
        else:
            console.print(f"exported {summary['rows']} rows of {ref} as {summary['format']} to {summary['path']}")
