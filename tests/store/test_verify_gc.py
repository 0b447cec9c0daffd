"""`thinkset store verify` names every kind of damage; `thinkset store gc` removes leftovers and unreferenced
images, dry run by default, and never anything a snapshot references."""

from __future__ import annotations

import json
import os

import polars as pl
import pytest
from typer.testing import CliRunner

from curation.cli import app
from curation.rows import rejection_frame
from curation.store import Store
from curation.store.gc import collect_garbage
from curation.store.verify import verify_store
from tests.conftest import png_bytes, pool_frame

runner = CliRunner()


@pytest.fixture
def filled(store: Store) -> Store:
    """Two snapshots: one with rows and a rejection whose row references an image of its own."""
    frame = pool_frame(store, 4)
    rejected_image = store.images.put(png_bytes(99))
    dropped = frame.head(1).with_columns(pl.lit([rejected_image]).alias("image_ids"), pl.lit(False).alias("_keep"),
                                         pl.lit("blank").alias("_reason"), pl.lit("").alias("_detail"))
    with store.writer("pool-a", "pool", config={"a": 1}) as writer:
        writer.write(frame.head(2))
        writer.write(frame.tail(2))
        writer.add_rejections(rejection_frame(dropped, 1, "image"))
    with store.writer("pool-b", "pool", config={"b": 1}) as writer:
        writer.write(pool_frame(store, 2))
    return store


def cli(store: Store, *args: str):
    return runner.invoke(app, ["store", *args, "--store", str(store.root)])


def damage(path, data: bytes | None = None) -> None:
    os.chmod(path, 0o644)
    if data is None:
        path.unlink()
    else:
        path.write_bytes(data)


def problems(store: Store, quick: bool = False) -> set[tuple[str, str]]:
    return {(p.kind, p.path) for p in verify_store(store, quick=quick).problems}


def test_a_sound_store_verifies(filled):
    report = verify_store(filled)
    assert report.ok and report.snapshots == 2 and report.files_checked == 4 and report.images_checked == 5
    result = cli(filled, "verify", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["ok"] is True
    unreferenced = filled.images.path(filled.images.put(b"not referenced by anything"))
    assert problems(filled, quick=True) == {("orphan", unreferenced.relative_to(filled.root).as_posix())}


def test_each_kind_of_damage_is_named(filled):
    a, b = filled.open("pool-a"), filled.open("pool-b")
    shard0, shard1 = a.files
    damage(shard0)  # missing
    damage(shard1, shard1.read_bytes()[:-10])  # truncated
    flipped = bytearray(b.files[0].read_bytes())
    flipped[len(flipped) // 2] ^= 0xFF
    damage(b.files[0], bytes(flipped))  # corrupt, same size
    rejection = a.rejection_files()[0]
    (a.path / "data" / "part-00099.parquet").write_bytes(b"stray")  # orphan in a snapshot folder
    images = b.read()["image_ids"].explode().to_list()
    damage(filled.images.path(images[0]))  # a referenced image gone
    image = filled.images.path(images[1])
    damage(image, bytes(len(image.read_bytes())))  # same size, other bytes
    # (an unreferenced image is not named here: with a shard unreadable, which images are unreferenced is unknown)
    (filled.root / "snapshots" / "pool-c" / "v1").mkdir(parents=True)  # left by a killed publish
    (filled.root / "tmp" / "pool-d-999999999-0123abcd").mkdir()  # a dead pid's temp folder

    rel = lambda p: p.relative_to(filled.root).as_posix()  # noqa: E731
    expected = {("missing", rel(shard0)), ("truncated", rel(shard1)), ("corrupt", rel(b.files[0])),
                ("orphan", "snapshots/pool-a/v1/data/part-00099.parquet"),
                ("missing", rel(filled.images.path(images[0]))), ("corrupt", rel(image)),
                ("orphan", "snapshots/pool-c/v1"),
                ("orphan", "tmp/pool-d-999999999-0123abcd")}
    assert problems(filled) == expected
    quick = problems(filled, quick=True)  # sizes and presence: equal-size damage goes unseen
    assert quick == expected - {("corrupt", rel(b.files[0])), ("corrupt", rel(image))}
    assert ("missing", rel(rejection)) not in quick

    result = cli(filled, "verify", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["counts"] == {"missing": 2, "truncated": 1, "corrupt": 2, "orphan": 3,
                              "catalog_row_without_files": 0}
    [corrupt_shard] = [p for p in data["problems"] if p["path"] == rel(b.files[0])]
    assert corrupt_shard["snapshot"] == "pool-b@v1" and "hash" in corrupt_shard["detail"]
    text = cli(filled, "verify")
    assert text.exit_code == 1 and "pool-b@v1" in text.stdout and "truncated" in text.stdout


def test_a_catalog_row_without_its_folder_and_a_lost_manifest_are_named(filled):
    a, b = filled.open("pool-a"), filled.open("pool-b")
    damage(a.path / "manifest.json")
    flipped = bytearray(a.files[0].read_bytes())
    flipped[len(flipped) // 2] ^= 0xFF
    damage(a.files[0], bytes(flipped))  # still found: the catalog keeps a copy of the manifest
    assert ("corrupt", a.files[0].relative_to(filled.root).as_posix()) in problems(filled)
    tampered = json.loads((b.path / "manifest.json").read_text())
    tampered["shards"][0]["sha256"] = "0" * 64
    damage(b.path / "manifest.json", json.dumps(tampered).encode())
    assert ("corrupt", "snapshots/pool-b/v1/manifest.json") in problems(filled, quick=True)
    for path in b.path.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    os.rename(b.path, filled.root / "elsewhere")
    found = problems(filled, quick=True)
    assert ("missing", "snapshots/pool-a/v1/manifest.json") in found
    assert ("catalog_row_without_files", "snapshots/pool-b/v1") in found


def test_gc_is_a_dry_run_by_default_and_never_removes_what_a_snapshot_references(filled):
    before = sorted(p for p in filled.root.rglob("*") if p.is_file())
    unreferenced = filled.images.path(filled.images.put(b"unreferenced"))
    leftover = filled.root / "snapshots" / "pool-a" / "v7"
    (leftover / "data").mkdir(parents=True)
    (leftover / "data" / "part-00000.parquet").write_bytes(b"x")
    os.chmod(leftover / "data" / "part-00000.parquet", 0o444)
    image_temp = filled.images.root / "ab" / f".{'ab' * 32}.999999999.tmp"
    image_temp.parent.mkdir(exist_ok=True)
    image_temp.write_bytes(b"half")

    dry = cli(filled, "gc", "--json")
    assert dry.exit_code == 0
    plan = json.loads(dry.stdout)
    assert plan["dry_run"] and plan["unreferenced_images"] == 1 and plan["leftovers"] == 2
    assert {i["path"] for i in plan["would_remove"]} == {
        "snapshots/pool-a/v7", image_temp.relative_to(filled.root).as_posix(),
        unreferenced.relative_to(filled.root).as_posix()}
    assert unreferenced.exists() and leftover.exists() and image_temp.exists()

    done = cli(filled, "gc", "--yes")
    assert done.exit_code == 0 and "removed" in done.stdout
    assert not unreferenced.exists() and not leftover.exists() and not image_temp.exists()
    assert sorted(p for p in filled.root.rglob("*") if p.is_file()) == before, "everything referenced stays"
    assert verify_store(filled).ok
    assert all(filled.open(ref).read().height for ref in ("pool-a", "pool-b"))


def test_gc_spares_live_runs_and_keeps_images_when_references_are_unreadable(filled):
    from curation.store.writer import temp_name

    live = filled.root / "tmp" / temp_name("pool-live")  # this process: a run at work
    live.mkdir()
    unreferenced = filled.images.path(filled.images.put(b"maybe about to be listed"))
    result = collect_garbage(filled, delete=True)
    assert live.exists() and unreferenced.exists() and result.leftovers == []
    assert "runs still at work" in result.spared[0]
    live.rmdir()

    shard = filled.open("pool-b").files[0]
    damage(shard, b"not parquet")
    result = collect_garbage(filled, delete=True)
    assert unreferenced.exists() and result.images == [] and "cannot be read" in result.spared[0]


def test_rebuild_catalog_shows_a_store_url_without_its_credentials(tmp_path, monkeypatch, s3_server):
    monkeypatch.setenv("THINKSET_CACHE", str(tmp_path / "cache"))
    url = f"s3://AKIAFAKE:pw-s3cret@thinkset/stores/t?endpoint_override={s3_server}&scheme=http&region=us-east-1"
    for args in ([], ["--json"]):
        result = runner.invoke(app, ["store", "rebuild-catalog", "--store", url, *args])
        assert result.exit_code == 0, result.output
        assert "s3://***@thinkset/stores/t" in result.stdout and "s3cret" not in result.output
