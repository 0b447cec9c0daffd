"""Upload through the real `huggingface_hub` client; only its network peer is replaced.

The Hub cannot be reached from tests: `tests/publish/hub_server.py` is a local HTTP server on
127.0.0.1 that speaks the Hub endpoints `publish` uses, and `huggingface_hub`'s endpoint constant
points at it. Everything else (request building, NDJSON commit, tag, token header) is the library's.
"""

from __future__ import annotations

import huggingface_hub.constants
import pytest
from typer.testing import CliRunner

from curation.checks.runner import check_snapshot, record
from curation.cli import app
from tests.checks.factories import good_frame, write_snapshot
from tests.publish.hub_server import HubServer

SECRET = "hf_thinkset_test_secret_0123456789"


@pytest.fixture
def hub(monkeypatch):
    with HubServer() as server:
        monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", server.url)
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)  # conftest sets offline mode
        monkeypatch.setenv("HF_TOKEN", SECRET)
        yield server


def publish(store, ref, *extra):
    return CliRunner().invoke(app, ["publish", ref, "--repo", "org/sft-iter1", "--store", str(store.root), *extra])


def test_upload_commits_files_with_version_message_and_tag(store, checked_sft, hub, tmp_path):
    result = publish(store, checked_sft.ref, "--private")
    assert result.exit_code == 0, result.output
    repo = hub.state.repos["org/sft-iter1"]
    assert repo.private
    assert sorted(repo.files) == ["README.md", "data/train-00000-of-00001.parquet", "figures/funnel.png",
                                  "figures/source_mix.png", "figures/word_count.png"]
    assert repo.files["README.md"].startswith(b"---\n")
    [commit] = repo.commits
    assert "sft-iter1@v1" in commit["summary"] and checked_sft.id in commit["summary"]
    assert repo.tags == {"v1": commit["oid"]}
    repo_requests = [r for r in hub.state.requests if r["path"].startswith(("/api/datasets/", "/api/repos/"))]
    assert repo_requests and all(r["authorization"] == f"Bearer {SECRET}" for r in repo_requests)
    [row] = store.catalog.query("SELECT * FROM publications")
    assert (row["repo"], row["revision"], row["tag"], row["forced"]) == ("org/sft-iter1", commit["oid"], "v1", False)
    # a second version replaces the shards and figures of the first, and gets its own tag
    info2 = write_snapshot(store, "sft", good_frame(store, "sft", n=4), name="sft-iter1")
    record(store, check_snapshot(store, store.open(info2.ref)))
    assert publish(store, info2.ref).exit_code == 0
    assert set(repo.tags) == {"v1", "v2"} and repo.tags["v2"] == repo.commits[-1]["oid"]
    assert "figures/funnel.png" not in repo.files, "stale files of v1 are deleted"
    # the token is never written anywhere: store (catalog, snapshots, reports) or the uploaded files
    for path in store.root.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    assert all(SECRET.encode() not in data for data in repo.files.values())


def test_upload_without_token_or_with_a_refusing_hub_fails_cleanly(store, checked_sft, hub, monkeypatch):
    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(store.root / "no-token"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_STORED_TOKENS_PATH", str(store.root / "no-tokens"))
    missing = publish(store, checked_sft.ref)
    assert missing.exit_code == 2 and "no Hugging Face token" in missing.output
    monkeypatch.setenv("HF_TOKEN", SECRET)
    assert publish(store, checked_sft.ref).exit_code == 0
    again = publish(store, checked_sft.ref)  # tag v1 exists: the Hub answers 409
    assert again.exit_code == 2 and "HTTP 409" in again.output and SECRET not in again.output
    assert len(store.catalog.query("SELECT * FROM publications")) == 1
