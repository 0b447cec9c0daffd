"""`thinkset store verify` / `store gc` on a store URL: the objects at the URL against its manifest records (sizes
quick, sha256 full); a killed writer's objects and unreferenced images go with gc --yes, young ones are spared
(a publish may be under way elsewhere). Once on a ``file://`` URL through the CLI, once on moto's S3 server."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from curation.cli import app
from curation.store import Store
from curation.store.fs import StoreFS
from curation.store.gc import collect_garbage
from curation.store.verify import verify_store
from tests.conftest import pool_frame

runner = CliRunner()
KILLED = "snapshots/pool-x/0123abcd-deadbeef/data/part-00000.parquet"  # a writer killed before its record
STRAY_IMAGE = b"an image no record references"
STRAY_IMAGE_KEY = f"images/{hashlib.sha256(STRAY_IMAGE).hexdigest()[:2]}/{hashlib.sha256(STRAY_IMAGE).hexdigest()}"


def filled_url(url: str, tmp_path: Path, monkeypatch) -> tuple[Store, StoreFS]:
    monkeypatch.setenv("THINKSET_CACHE", str(tmp_path / "cache"))
    store = Store(url)
    for name, n in (("pool-a", 3), ("pool-b", 2)):
        with store.writer(name, "pool", config={name: n}) as writer:
            writer.write(pool_frame(store, n))
    fs = StoreFS(url)
    fs.put_bytes(KILLED, b"PAR1 half a shard")
    fs.put_bytes(STRAY_IMAGE_KEY, STRAY_IMAGE)
    return store, fs


def kinds(report) -> set[tuple[str, str]]:
    return {(p.kind, p.path) for p in report.problems}


def shard_keys(fs: StoreFS, name: str) -> list[str]:
    record = json.loads(fs.get_bytes(next(k for k in fs.list(f"manifests/{name}"))))
    return [k for k in fs.list(record["prefix"]) if "/data/" in k]


def age(root: Path, seconds: float) -> None:
    """Make every object of a file:// store look ``seconds`` old (what waiting would do)."""
    then = time.time() - seconds
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (then, then))


def test_verify_and_gc_on_a_file_url(tmp_path, monkeypatch):
    root = tmp_path / "shared"
    url = f"file://{root}"
    _, fs = filled_url(url, tmp_path, monkeypatch)

    # fresh: the stray objects may belong to a publish under way, so they are neither problems nor garbage
    fresh = runner.invoke(app, ["store", "verify", "--store", url, "--json"])
    assert fresh.exit_code == 0, fresh.output
    report = json.loads(fresh.stdout)
    assert report["snapshots"] == 2 and report["files_checked"] == 2
    assert report["images_checked"] == len(fs.list("images")) - 1 > 0  # every image but the stray one
    assert sorted(report["in_progress"]) == sorted([KILLED, STRAY_IMAGE_KEY])
    kept = runner.invoke(app, ["store", "gc", "--store", url, "--yes"])
    assert kept.exit_code == 0 and "nothing to remove" in kept.stdout and "younger than 3600 s" in kept.stdout
    assert fs.exists([KILLED, STRAY_IMAGE_KEY]) == [True, True]

    age(root, 7200)
    stale = runner.invoke(app, ["store", "verify", "--store", url, "--json"])
    assert stale.exit_code == 1
    assert {(p["kind"], p["path"]) for p in json.loads(stale.stdout)["problems"]} == {
        ("orphan", KILLED), ("orphan", STRAY_IMAGE_KEY)}
    before = set(fs.list(""))
    dry = runner.invoke(app, ["store", "gc", "--store", url, "--json"])
    assert dry.exit_code == 0 and json.loads(dry.stdout)["dry_run"] is True
    assert {item["path"] for item in json.loads(dry.stdout)["would_remove"]} == {KILLED, STRAY_IMAGE_KEY}
    assert set(fs.list("")) == before  # a dry run deletes nothing
    done = runner.invoke(app, ["store", "gc", "--store", url, "--yes"])
    assert done.exit_code == 0 and "removed: 2 paths" in done.stdout
    assert set(fs.list("")) == before - {KILLED, STRAY_IMAGE_KEY}, "everything a record references stays"
    assert runner.invoke(app, ["store", "verify", "--store", url]).exit_code == 0

    # damage: a truncated shard (quick sees it), a same-size corruption (only the hashes see it), a lost image
    truncated, flipped = shard_keys(fs, "pool-a")[0], shard_keys(fs, "pool-b")[0]
    (root / truncated).write_bytes((root / truncated).read_bytes()[:-5])
    data = bytearray((root / flipped).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (root / flipped).write_bytes(bytes(data))
    lost = next(k for k in fs.list("images"))
    (root / lost).unlink()
    quick = runner.invoke(app, ["store", "verify", "--store", url, "--quick"])
    assert quick.exit_code == 1 and truncated in quick.stdout and flipped not in quick.stdout
    full = runner.invoke(app, ["store", "verify", "--store", url, "--json"])
    assert {(p["kind"], p["path"]) for p in json.loads(full.stdout)["problems"]} == {
        ("truncated", truncated), ("corrupt", flipped), ("missing", lost)}


def test_verify_and_gc_on_a_local_s3_server(tmp_path, monkeypatch, s3_server):
    url = f"s3://thinkset/stores/v?endpoint_override={s3_server}&scheme=http&region=us-east-1"
    store, fs = filled_url(url, tmp_path, monkeypatch)
    assert kinds(verify_store(store)) == set()  # the strays are fresh: a publish may be under way
    assert kinds(verify_store(store, grace_s=0)) == {("orphan", KILLED), ("orphan", STRAY_IMAGE_KEY)}

    flipped = shard_keys(fs, "pool-a")[0]
    data = bytearray(fs.get_bytes(flipped))
    data[len(data) // 2] ^= 0xFF
    fs.put_bytes(flipped, bytes(data))
    assert kinds(verify_store(store, quick=True)) == set()  # same size: only the hash tells
    assert ("corrupt", flipped) in kinds(verify_store(store))

    before = set(fs.list(""))
    assert collect_garbage(store, grace_s=0).images and set(fs.list("")) == before  # dry run
    result = collect_garbage(store, delete=True, grace_s=0)
    assert [str(x.path) for x in result.leftovers] == [KILLED] and [str(p) for p in result.images] == [STRAY_IMAGE_KEY]
    assert set(fs.list("")) == before - {KILLED, STRAY_IMAGE_KEY}


def test_gc_collects_nothing_while_a_manifest_record_is_unreadable(tmp_path, monkeypatch):
    url = f"file://{tmp_path / 'shared'}"
    store, fs = filled_url(url, tmp_path, monkeypatch)
    record = next(k for k in fs.list("manifests"))
    fs.put_bytes(record, b"{not json")
    result = collect_garbage(store, delete=True, grace_s=0)
    assert result.leftovers == [] and result.images == [] and "cannot be read" in result.spared[0]
    assert fs.exists([KILLED, STRAY_IMAGE_KEY]) == [True, True]
    assert ("corrupt", record) in kinds(verify_store(store, grace_s=0))


@pytest.mark.parametrize("command", ["verify", "gc"])
def test_an_unreachable_url_is_a_one_line_error_without_credentials(tmp_path, monkeypatch, command):
    monkeypatch.setenv("THINKSET_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    url = "s3://AKIAFAKE:pw-s3cret@thinkset/x?endpoint_override=127.0.0.1:9&scheme=http&region=us-east-1"
    result = runner.invoke(app, ["store", command, "--store", url])
    assert result.exit_code == 2, result.output
    assert "s3cret" not in result.output and "Traceback" not in result.output
