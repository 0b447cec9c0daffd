"""`review push` against the real argilla-server: dataset layout, images, suggestions, idempotence, errors."""

from __future__ import annotations

import base64
import json
import socket

import httpx
import pytest
import typer
from typer.testing import CliRunner

from curation.review.cli import register
from curation.review.connection import ReviewError
from curation.review.pull import pull
from curation.review.push import push
from curation.store import Store
from tests.review.factory import make_reviewable_snapshot
from tests.review.reviewers import owner_client, submit

pytestmark = [pytest.mark.server, pytest.mark.slow]

# The review verbs on their own app, as `thinkset` registers them (other features' commands stay out of these tests).
app = typer.Typer()
app.command("version")(lambda: None)  # a second verb keeps "review" a sub-command, as in `thinkset`
register(app)


def _remote(env, pushed):
    return owner_client(*env).datasets(name=pushed.dataset, workspace=pushed.workspace)


def test_push_creates_the_dataset_with_fields_questions_metadata_and_suggestions(argilla_env, tmp_path):
    store = Store(tmp_path / "store")
    info, ids = make_reviewable_snapshot(store, "layout")
    pushed = push(store, info.ref, sample=8, stratify=["source", "verdict"], include_rejected=4, seed=1)
    assert (pushed.dataset, pushed.sampled, pushed.added) == ("layout-v1", 12, 12)
    remote = _remote(argilla_env, pushed)
    settings = remote.settings
    assert [f.name for f in settings.fields] == ["image", "problem", "response", "gold_answer", "extracted_answer"]
    assert [q.name for q in settings.questions] == ["decision", "quality", "corrected_answer", "note"]
    assert {m.name for m in settings.metadata} == {"source", "word_count", "verdict", "reflection_count",
                                                    "pass_rate", "filter_stage"}
    records = {str(r.id): r for r in remote.records(with_suggestions=True)}
    assert set(records) == set(ids.values())
    key_of = {v: k for k, v in ids.items()}
    for record_id, record in records.items():
        key = key_of[record_id]
        suggestion = record.suggestions["decision"]
        assert suggestion.value == ("accept" if key.startswith("k") else "reject")
        stage = {"r0": "length", "r1": "length", "r2": "correctness", "r3": "correctness"}.get(key, "kept")
        assert record.metadata["filter_stage"] == stage
        assert record.metadata["verdict"] == ("wrong" if key in ("r2", "r3") else "correct")
        assert record.metadata["source"] in ("chart", "geo")
        assert "<details><summary>Reasoning" in record.fields["response"]
        assert record.fields["gold_answer"] == "4"


def test_records_carry_images_that_the_server_returns_intact(argilla_env, tmp_path):
    store = Store(tmp_path / "store")
    info, ids = make_reviewable_snapshot(store, "images")
    pushed = push(store, info.ref, sample=8, stratify=[], seed=0)
    frame = store.open(info.ref).read()
    image_of = {row["id"]: store.images.get(row["image_ids"][0]) for row in frame.iter_rows(named=True)}
    api_url, api_key = argilla_env
    dataset_id = _remote(argilla_env, pushed).id
    # Read through the REST API, not the SDK (which decodes images into PIL objects).
    reply = httpx.get(f"{api_url}/api/v1/datasets/{dataset_id}/records", params={"limit": 100},
                      headers={"X-Argilla-Api-Key": api_key})
    reply.raise_for_status()
    items = reply.json()["items"]
    assert len(items) == 8
    for item in items:
        header, payload = item["fields"]["image"].split(",", 1)
        assert header == "data:image/png;base64"
        assert base64.b64decode(payload) == image_of[item["external_id"]]


def test_push_is_idempotent_and_keeps_reviewers_answers(argilla_env, tmp_path):
    store = Store(tmp_path / "store")
    info, ids = make_reviewable_snapshot(store, "idempotent")
    first = push(store, info.ref, sample=4, stratify=["source"], seed=3)
    remote = _remote(argilla_env, first)
    one = next(iter(remote.records()))
    submit(owner_client(*argilla_env), first.dataset, first.workspace, {str(one.id): {"decision": "reject"}})
    again = push(store, info.ref, sample=4, stratify=["source"], seed=3)
    assert (again.review_id, again.added, again.already_there) == (first.review_id, 0, 4)
    records = list(_remote(argilla_env, first).records(with_responses=True))
    assert len(records) == 4
    answered = [r for r in records if str(r.id) == str(one.id)][0]
    assert [resp.value for resp in answered.responses] == ["reject"]
    # a bigger sample with the same seed adds only the missing rows and keeps the first ones
    bigger = push(store, info.ref, sample=6, stratify=["source"], seed=3)
    assert (bigger.added, bigger.already_there) == (2, 4)
    assert store.catalog.query("SELECT count(*) AS n FROM review_items")[0]["n"] == 6
    assert store.catalog.query("SELECT count(*) AS n FROM reviews")[0]["n"] == 1


def _catalog_state(store: Store) -> dict:
    tables = ["artifacts", "edges", "reviews", "review_items", "review_responses", "review_pushes"]
    return {t: store.catalog.query(f"SELECT * FROM {t} ORDER BY ALL") for t in tables}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens there


@pytest.mark.parametrize("failure", ["server_down", "wrong_key"])
def test_unreachable_server_or_wrong_key_is_a_clear_error_and_changes_nothing(argilla_env, tmp_path, monkeypatch,
                                                                           failure):
    store = Store(tmp_path / "store")
    info, _ = make_reviewable_snapshot(store, f"fails-{failure.replace('_', '-')}")
    push(store, info.ref, sample=2, stratify=[], seed=0)
    before = _catalog_state(store)
    if failure == "server_down":
        monkeypatch.setenv("ARGILLA_API_URL", f"http://127.0.0.1:{_closed_port()}")
        expected = "cannot reach Argilla"
    else:
        monkeypatch.setenv("ARGILLA_API_KEY", "not-the-key")
        expected = "refused the API key"
    for action in (lambda: push(store, info.ref, sample=4, stratify=[], seed=1), lambda: pull(store, info.ref)):
        with pytest.raises(ReviewError, match=expected):
            action()
    result = CliRunner().invoke(app, ["review", "push", info.ref, "--sample", "3", "--store", str(store.root)])
    assert result.exit_code == 2
    assert expected in result.output
    assert "not-the-key" not in result.output
    assert _catalog_state(store) == before


def test_cli_push_pull_stats_json(argilla_env, tmp_path):
    store = Store(tmp_path / "store")
    info, ids = make_reviewable_snapshot(store, "cli")
    runner = CliRunner()
    out = runner.invoke(app, ["review", "push", info.ref, "--sample", "3", "--include-rejected", "1",
                              "--stratify", "source", "--json", "--store", str(store.root)])
    assert out.exit_code == 0, out.output
    pushed = json.loads(out.stdout)
    assert (pushed["sampled"], pushed["added"]) == (4, 4)
    remote = owner_client(*argilla_env).datasets(name=pushed["dataset"], workspace=pushed["workspace"])
    first = next(iter(remote.records()))
    submit(owner_client(*argilla_env), pushed["dataset"], pushed["workspace"], {str(first.id): {"decision": "accept"}})
    out = runner.invoke(app, ["review", "pull", info.ref, "--json", "--store", str(store.root)])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["responses"] == 1
    out = runner.invoke(app, ["review", "stats", info.ref, "--json", "--store", str(store.root)])
    stats = json.loads(out.stdout)
    assert (stats["responses"], stats["accepted"], stats["accept_rate"]) == (1, 1, 1.0)
    # no key anywhere in what the store keeps
    api_key = argilla_env[1]
    for path in store.root.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".duckdb", ".parquet", ".wal"):
            assert api_key.encode() not in path.read_bytes(), path
