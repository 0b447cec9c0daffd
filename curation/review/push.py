"""`review push`: send a seeded, stratified sample of a snapshot (and of what its filters dropped) to Argilla.

Idempotent: the dataset is created once per snapshot version; records already in it are
left alone (reviewers' answers included), and only rows not yet there are added.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import polars as pl

from curation.review.catalog import ensure_review, record_push
from curation.review.connection import ReviewError, api_url, connect
from curation.review.dataset import dataset_name, review_settings, to_record
from curation.review.frame import kept_rows, rejected_rows
from curation.review.sample import stratified_sample
from curation.store import Store

if TYPE_CHECKING:
    import argilla as rg

LOG_BATCH = 64


@dataclass
class PushResult:
    review_id: str
    snapshot: str
    workspace: str
    dataset: str
    sampled: int
    added: int
    already_there: int

    def to_json(self) -> dict:
        return asdict(self)


def resolve_workspace(client: rg.Argilla, name: str | None) -> rg.Workspace:
    """The named workspace, else the first one the user can see."""
    if name:
        workspace = client.workspaces(name)
        if workspace is None:
            raise ReviewError(f"Argilla workspace {name!r} does not exist or is not visible to this API key; "
                              "create it in the Argilla UI or pass an existing one with --workspace")
        return workspace
    workspaces = list(client.workspaces)
    if not workspaces:
        raise ReviewError("the Argilla user has no workspace; create one in the Argilla UI, then pass --workspace")
    return workspaces[0]


def get_or_create_dataset(client: rg.Argilla, name: str, workspace: rg.Workspace) -> rg.Dataset:
    import argilla as rg

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK warns when a dataset is not found; that is expected here
        dataset = client.datasets(name=name, workspace=workspace)
    wanted = review_settings()
    if dataset is None:
        dataset = rg.Dataset(name=name, workspace=workspace, settings=wanted, client=client)
        dataset.create()
        return dataset
    have = {q.name for q in dataset.settings.questions}
    need = {q.name for q in wanted.questions}
    if not need <= have:
        raise ReviewError(f"Argilla dataset {name!r} in workspace {workspace.name!r} exists but lacks the questions "
                          f"{sorted(need - have)}; it was not made by thinkset. Delete it or use another --workspace")
    return dataset


def existing_record_ids(dataset: rg.Dataset) -> set[str]:
    return {str(record.id) for record in dataset.records(with_responses=False, with_suggestions=False)}


def choose_rows(store: Store, ref: str, *, sample: int, stratify: list[str], include_rejected: int,
                seed: int) -> pl.DataFrame:
    snapshot = store.open(ref)
    chosen = [stratified_sample(kept_rows(snapshot), sample, stratify, seed)]
    if include_rejected > 0:
        chosen.append(stratified_sample(rejected_rows(snapshot), include_rejected, stratify, seed))
    return pl.concat(chosen, how="vertical").unique("id", keep="first", maintain_order=True)


def push(store: Store, ref: str, *, sample: int, stratify: list[str] | None = None, include_rejected: int = 0,
         seed: int = 0, workspace: str | None = None, show_think: bool = False) -> PushResult:
    """Push ``sample`` kept rows (+ ``include_rejected`` dropped rows) of snapshot ``ref`` for review."""
    stratify = list(stratify or [])
    client = connect()  # fails before anything is read or written when the server is down or the key wrong
    info = store.resolve(ref)
    rows = choose_rows(store, ref, sample=sample, stratify=stratify, include_rejected=include_rejected, seed=seed)
    target = resolve_workspace(client, workspace)
    name = dataset_name(info)
    dataset = get_or_create_dataset(client, name, target)
    present = existing_record_ids(dataset)
    new_rows = rows.filter(~pl.col("id").is_in(list(present)))
    records = [to_record(row, store, show_think=show_think) for row in new_rows.iter_rows(named=True)]
    if records:
        dataset.records.log(records, batch_size=LOG_BATCH)  # upserts by record id
    review = ensure_review(store, info, target.name, name, api_url())
    params = {"sample": sample, "stratify": stratify, "include_rejected": include_rejected, "seed": seed}
    record_push(store, review, rows, params, added=len(records))
    return PushResult(review.review_id, info.ref, target.name, name, rows.height, len(records),
                      rows.height - len(records))
