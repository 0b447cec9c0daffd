"""Publish a snapshot: gate on its checks, write the Hub folder and card, load it back, upload, record."""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import datasets

from curation.checks.results import latest_result
from curation.publish.card import CardOptions, render_card
from curation.publish.columns import ALL, DEFAULT, column_profile
from curation.publish.layout import Layout, write_layout
from curation.publish.upload import PublishError, Upload, upload_layout
from curation.publish.verify import verify_layout
from curation.store import Snapshot, Store


class PublishRefused(PublishError):
    """The snapshot's checks failed or never ran, and --force was not given."""


@dataclass
class PublishResult:
    ref: str
    folder: Path
    files: list[str]
    rows: int
    card: Path
    forced: bool
    columns: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    upload: Upload | None = None


def check_gate(store: Store, snapshot: Snapshot, force: bool) -> tuple[str | None, bool]:
    """(check run id or None, forced): raise PublishRefused unless the latest check run passed or ``force``."""
    check = latest_result(store, snapshot.info.id)
    if check is not None and check.success:
        return check.run_id, False
    if check is None:
        problem = f"{snapshot.info.ref} was never checked"
    else:
        problem = f"the checks of {snapshot.info.ref} failed ({', '.join(o.name for o in check.failed)})"
    if not force:
        raise PublishRefused(f"{problem}; run `thinkset check {snapshot.info.ref}` and fix what it reports, "
                             "or pass --force (the card will say so)")
    return (check.run_id if check else None), True


def build_folder(store: Store, snapshot: Snapshot, folder: Path, options: CardOptions,
                 columns: str = ALL) -> tuple[Layout, Path]:
    """Shards + card + figures in ``folder``, then loaded back with ``datasets`` (raises LayoutError).

    ``columns`` is a column profile: ``default``, ``all`` or ``a,b,c`` (ColumnError names an unknown column).
    """
    datasets.disable_progress_bars()
    profile = column_profile(columns, snapshot.scan().collect_schema().names(), where=snapshot.info.ref)
    layout = write_layout(snapshot, store, folder, profile=profile)
    card = render_card(store, snapshot, layout, options)
    verify_layout(layout, snapshot)
    return layout, card


def publish_snapshot(store: Store, ref: str, repo: str, *, private: bool = False, dry_run: bool = False,
                     out: Path | None = None, force: bool = False, license: str = "other",
                     endpoint: str | None = None, columns: str = DEFAULT) -> PublishResult:
    """Publish ``ref`` to ``repo`` (or only write the folder with ``dry_run``); see the module docstring.

    ``columns``: the ``default`` profile (what a trainer and a reader need), ``all``, or ``a,b,c``.
    """
    snapshot = store.open(ref)
    column_profile(columns, snapshot.scan().collect_schema().names(), where=snapshot.info.ref)  # fail early
    run_id, forced = check_gate(store, snapshot, force)
    options = CardOptions(repo=repo, license=license, forced=forced)
    if dry_run:
        folder = Path(out) if out else store.root / "publish" / snapshot.info.name / f"v{snapshot.info.version}"
    else:
        folder = Path(tempfile.mkdtemp(prefix="publish-", dir=store.root / "tmp"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        layout, card = build_folder(store, snapshot, folder, options, columns)
        result = PublishResult(ref=snapshot.info.ref, folder=folder, files=layout.relative_files(), rows=layout.rows,
                               card=card, forced=forced, columns=layout.profile.columns,
                               left_out=layout.profile.left_out)
        if dry_run:
            return result
        result.upload = upload_layout(folder, snapshot.info, repo, private=private,
                                      tag=f"v{snapshot.info.version}", endpoint=endpoint)
        record_publication(store, snapshot, result, private, run_id)
        return result
    finally:
        if not dry_run:
            shutil.rmtree(folder, ignore_errors=True)


def record_publication(store: Store, snapshot: Snapshot, result: PublishResult, private: bool,
                       run_id: str | None) -> None:
    upload = result.upload
    assert upload is not None
    store.catalog.record_publication(dict(
        snapshot_id=snapshot.info.id, snapshot_ref=snapshot.info.ref, repo=upload.repo, revision=upload.revision,
        tag=upload.tag, commit_url=upload.commit_url, private=private, forced=result.forced, check_run_id=run_id,
        files=json.dumps(result.files)))
