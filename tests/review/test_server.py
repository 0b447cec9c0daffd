"""The local server's in-memory search engine (what the Argilla UI lists and filters with), and restarts."""

from __future__ import annotations

import secrets

import argilla as rg
import httpx
import pytest

from curation.review.push import push
from curation.store import Store
from tests.review.conftest import running_server
from tests.review.factory import make_reviewable_snapshot
from tests.review.reviewers import owner_client, submit

pytestmark = [pytest.mark.server, pytest.mark.slow]


def _ids(records) -> set[str]:
    return {str(r.id) for r in records}


def test_search_filters_text_and_progress(argilla_env, tmp_path):
    store = Store(tmp_path / "store")
    info, ids = make_reviewable_snapshot(store, "search")
    pushed = push(store, info.ref, sample=8, stratify=[], include_rejected=4, seed=0)
    client = owner_client(*argilla_env)
    remote = client.datasets(name=pushed.dataset, workspace=pushed.workspace)

    def search(query: rg.Query) -> set[str]:
        return _ids(remote.records(query=query))

    assert search(rg.Query(filter=rg.Filter(("metadata.filter_stage", "==", "length")))) == {ids["r0"], ids["r1"]}
    assert search(rg.Query(filter=rg.Filter(("metadata.verdict", "in", ["wrong"])))) == {ids["r2"], ids["r3"]}
    geo_kept = {ids[k] for k in ("k4", "k5", "k6", "k7")}
    assert search(rg.Query(filter=rg.Filter([("metadata.source", "==", "geo"),
                                             ("metadata.filter_stage", "==", "kept")]))) == geo_kept
    assert search(rg.Query(filter=rg.Filter(("decision.suggestion", "==", "reject")))) == \
        {ids[k] for k in ("r0", "r1", "r2", "r3")}
    assert search(rg.Query(query="search-k3")) == {ids["k3"]}  # every word of the query must occur

    submit(client, pushed.dataset, pushed.workspace, {ids["k0"]: {"decision": "accept"},
                                                      ids["k1"]: {"decision": "reject"}})
    assert search(rg.Query(filter=rg.Filter(("decision.response", "==", "reject")))) == {ids["k1"]}
    assert search(rg.Query(filter=rg.Filter(("response.status", "==", "submitted")))) == {ids["k0"], ids["k1"]}
    assert len(search(rg.Query(filter=rg.Filter(("response.status", "==", "pending"))))) == 10
    progress = remote.progress()
    assert (progress["total"], progress["completed"], progress["pending"]) == (12, 2, 10)
    # what the UI's metadata filter shows: terms with their counts
    api_url, api_key = argilla_env
    source = next(m for m in remote.settings.metadata if m.name == "source")
    reply = httpx.get(f"{api_url}/api/v1/metadata-properties/{source.id}/metrics",
                      headers={"X-Argilla-Api-Key": api_key})
    reply.raise_for_status()
    assert {v["term"]: v["count"] for v in reply.json()["values"]} == {"chart": 6, "geo": 6}


def test_a_restarted_server_still_lists_and_searches_its_records(tmp_path):
    """The search index lives in memory; the script rebuilds it from SQLite at start."""
    data_dir = tmp_path / "argilla"
    data_dir.mkdir()
    api_key = secrets.token_urlsafe(16)
    settings = rg.Settings(fields=[rg.TextField(name="text")],
                           questions=[rg.LabelQuestion(name="label", labels=["yes", "no"])],
                           metadata=[rg.TermsMetadataProperty(name="group")])
    with running_server(data_dir, api_key) as api_url:
        client = rg.Argilla(api_url=api_url, api_key=api_key)
        dataset = rg.Dataset(name="restart", settings=settings, workspace="argilla", client=client).create()
        dataset.records.log([{"id": f"r{i}", "text": f"row {i}", "group": "odd" if i % 2 else "even"}
                             for i in range(6)])
    with running_server(data_dir, api_key) as api_url:
        client = rg.Argilla(api_url=api_url, api_key=api_key)
        dataset = client.datasets(name="restart", workspace="argilla")
        assert _ids(dataset.records()) == {f"r{i}" for i in range(6)}
        odd = rg.Query(filter=rg.Filter(("metadata.group", "==", "odd")))
        assert _ids(dataset.records(query=odd)) == {"r1", "r3", "r5"}
