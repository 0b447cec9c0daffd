"""A store on a URL: shards, manifests and images published there with unique keys and the manifest record
last; the catalog rebuilt from it on another machine (another local cache). Once on a ``file://`` URL, once on
an S3-compatible server (moto's server mode on 127.0.0.1, started here: never a real cloud)."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from curation.cli import app
from curation.pipeline import run_recipe
from curation.recipe import recipe_from_dict
from curation.store import Store
from curation.store.fs import StoreFS
from tests.conftest import pool_frame

RECIPE = {"name": "remote-test", "input": "pool-remote", "output": "rollouts-remote", "stages": [
    {"type": "reason", "backend": "synthetic", "model": "synthetic-teacher", "k": 2, "mode": "image"},
    {"type": "format"}, {"type": "correctness"}]}


def write_and_run(url: str) -> tuple[Store, str]:
    store = Store(url)
    with store.writer("pool-remote", "pool", config={"remote_pool": 6}) as writer:
        writer.write(pool_frame(store, 6))
    result = run_recipe(recipe_from_dict(RECIPE), store)
    return store, result.final.id


def round_trip(url: str, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("THINKSET_CACHE", str(tmp_path / "machine-a"))
    first, final_id = write_and_run(url)
    original = first.open(final_id)
    fs = StoreFS(url)
    keys = fs.list("")
    records = [k for k in keys if k.startswith("manifests/")]
    assert len(records) == 2  # the pool and the rollouts
    record = json.loads(fs.get_bytes(f"manifests/rollouts-remote/{final_id}.json"))
    shard_keys = [k for k in keys if k.startswith(record["prefix"] + "/data/")]
    assert shard_keys and any(k.startswith("images/") for k in keys)

    # another machine: an empty local cache; the catalog comes back from the manifest records
    monkeypatch.setenv("THINKSET_CACHE", str(tmp_path / "machine-b"))
    result = CliRunner().invoke(app, ["store", "rebuild-catalog", "--store", url, "--json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["added"]) == 2
    second = Store(url)
    assert second.root != first.root
    copy = second.open("rollouts-remote")
    assert copy.info.id == final_id and copy.info.version == original.info.version
    assert copy.read().equals(original.read())
    assert copy.rejections().collect().equals(original.rejections().collect())
    funnel = [{k: v for k, v in r.items() if k != "snapshot_id"} for r in second.catalog.funnel(final_id)]
    assert funnel == [{k: v for k, v in r.items() if k != "snapshot_id"} for r in first.catalog.funnel(final_id)]
    assert [e["src_id"] for e in second.lineage(final_id)] == [e["src_id"] for e in first.lineage(final_id)]
    pool = second.open("pool-remote").read()
    assert all(second.images.get(sha) for sha in pool["image_ids"].explode())
    # running the recipe on machine b finds the snapshot up to date
    assert run_recipe(recipe_from_dict(RECIPE), second).reused
    # and a rebuild again adds nothing
    assert second.rebuild_catalog() == []


def test_store_on_a_file_url_round_trips(tmp_path, monkeypatch):
    round_trip(f"file://{tmp_path / 'shared'}", tmp_path, monkeypatch)


def test_a_killed_publish_lists_nothing(tmp_path, monkeypatch):
    """Files uploaded but no manifest record (the writer died before it): no machine lists the snapshot."""
    url = f"file://{tmp_path / 'shared'}"
    monkeypatch.setenv("THINKSET_CACHE", str(tmp_path / "a"))
    store = Store(url)
    real_put = StoreFS.put_bytes

    def die_at_the_record(self, key, data):
        if key.startswith("manifests/"):
            raise KeyboardInterrupt("killed before the manifest record")
        real_put(self, key, data)

    monkeypatch.setattr(StoreFS, "put_bytes", die_at_the_record)
    with pytest.raises(KeyboardInterrupt):
        with store.writer("pool-remote", "pool", config={"n": 3}) as writer:
            writer.write(pool_frame(store, 3))
    monkeypatch.setattr(StoreFS, "put_bytes", real_put)
    assert any(k.startswith("snapshots/") for k in StoreFS(url).list(""))  # objects were written ...
    monkeypatch.setenv("THINKSET_CACHE", str(tmp_path / "b"))
    assert Store(url).rebuild_catalog() == [] and Store(url).list() == []  # ... but nothing is listed


def test_a_bad_store_url_is_a_clear_error():
    with pytest.raises(ValueError, match="not understood by pyarrow.fs"):
        StoreFS("nosuchscheme://bucket/prefix")


def test_store_on_a_local_s3_compatible_server_round_trips(tmp_path, monkeypatch, s3_server):
    url = f"s3://thinkset/stores/team?endpoint_override={s3_server}&scheme=http&region=us-east-1"
    round_trip(url, tmp_path, monkeypatch)
    assert pl.Series(StoreFS(url).list("images")).len() > 0
