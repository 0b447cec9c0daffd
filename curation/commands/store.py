"""`thinkset store verify` and `thinkset store gc`: is the store whole, and what can go."""

# No `from __future__ import annotations`: typer reads these annotations at runtime.
from typing import Annotated

import typer

from curation.commands.common import JsonOption, StoreOption, console, fail, open_store, print_json, table
from curation.redact import redact_text, redact_url
from curation.store import Store

store_app = typer.Typer(help="Verify a store's files against its catalog and remove crash leftovers.",
                        no_args_is_help=True)


@store_app.command("verify")
def verify(store: StoreOption = None, json_out: JsonOption = False,
           quick: Annotated[bool, typer.Option("--quick", help="presence and sizes only, no re-hashing")] = False,
           ) -> None:
    """Re-hash every shard and image against the manifests and catalog (a store URL: its objects against its
    manifest records); name what is missing, truncated, corrupt or orphaned. Exit 1 when anything is wrong."""
    from curation.store.verify import verify_store

    st = open_store(store)
    try:
        report = verify_store(st, quick=quick)
    except OSError as exc:  # a store URL that cannot be listed or read now
        fail(redact_text(f"cannot read the store {_where(st)}: {exc}"))
    if json_out:
        print_json(report.to_json())
    else:
        mode = "quick (presence and sizes)" if quick else "full (sha256)"
        console.print(f"verified {report.snapshots} snapshots, {report.files_checked} files, "
                      f"{report.images_checked} images in {_where(st)}, {mode}")
        if report.in_progress:
            console.print(f"{len(report.in_progress)} temp path(s) or recent unreferenced object(s) belong to runs "
                          "still at work (not checked)")
        if report.problems:
            console.print(table(f"{len(report.problems)} problems", ["kind", "path", "snapshot", "detail"],
                                [[p.kind, p.path, p.snapshot or "", p.detail] for p in report.problems]))
            console.print("orphans go with `thinkset store gc --yes`; a missing, truncated or corrupt file "
                          "needs its snapshot restored from a copy or re-run")
        else:
            console.print("[green]ok[/]: every file is present and matches its manifest")
    if not report.ok:
        raise typer.Exit(1)


@store_app.command("gc")
def gc(store: StoreOption = None, json_out: JsonOption = False,
       yes: Annotated[bool, typer.Option("--yes", help="delete (default: only list what would go)")] = False,
       ) -> None:
    """Remove crash leftovers (unlisted snapshot folders, temp folders) and images no snapshot references (a
    store URL: objects no manifest record references, older than an hour). A dry run unless --yes; never
    touches anything a snapshot references."""
    from curation.store.gc import collect_garbage

    st = open_store(store)
    try:
        result = collect_garbage(st, delete=yes)
    except OSError as exc:  # a store URL that cannot be listed, read or written now
        fail(redact_text(f"cannot collect the store {_where(st)}: {exc}"))
    if json_out:
        print_json(result.to_json(st.root))
        return
    data = result.to_json(st.root)
    items = data["removed" if yes else "would_remove"]
    verb = "removed" if yes else "would remove"
    if items:
        console.print(table(f"{verb}: {len(items)} paths, {result.bytes:,} bytes", ["path", "reason"],
                            [[i["path"], i["reason"]] for i in items]))
    else:
        console.print("nothing to remove")
    for note in result.spared:
        console.print(f"kept: {note}")
    if items and not yes:
        console.print("dry run: run `thinkset store gc --yes` to delete them")


def _where(st: Store) -> str:
    return redact_url(st.url) if st.url else str(st.root)


def register(app: typer.Typer) -> None:
    app.add_typer(store_app, name="store")


@store_app.command("rebuild-catalog")
def rebuild_catalog(store: StoreOption = None, json_out: JsonOption = False) -> None:
    """A store URL (file://, s3://, gs://): list in the local catalog every snapshot published there (manifest
    records under manifests/), fetching its files into the local cache. Safe to run again."""
    st = open_store(store)
    try:
        added = st.rebuild_catalog()
    except ValueError as exc:
        fail(str(exc))
    if json_out:
        print_json({"store": redact_url(st.url), "catalog": str(st.catalog.path), "added": added})
    else:
        console.print(f"{len(added)} snapshot(s) added to the catalog {st.catalog.path} from {redact_url(st.url)}")
