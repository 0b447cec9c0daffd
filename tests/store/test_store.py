"""Snapshot store: immutability, idempotent writes, atomic publish, images stored once."""

from __future__ import annotations

import json
import os

import polars as pl
import pytest

from curation.store import SnapshotNotFound, Store
from curation.store import writer as writer_module
from tests.conftest import pool_frame


def test_write_then_read_round_trip(store, make_pool):
    info = make_pool(5)
    snap = store.open("pool-test@v1")
    assert snap.info.id == info.id and snap.info.rows == 5 and snap.info.kind == "pool"
    frame = snap.read()
    assert frame.height == 5
    assert frame.columns[:7] == ["id", "source", "problem", "answer", "choices", "image_ids", "metadata"]
    manifest = snap.manifest
    assert manifest["rows"] == 5 and manifest["kind"] == "pool" and manifest["shards"][0]["sha256"]
    assert store.open("pool-test").info.version == 1  # bare name = latest


def test_same_content_returns_existing_version(store, make_pool):
    first = make_pool(5)
    second = make_pool(5)
    assert second.id == first.id and second.version == 1
    assert len(store.list()) == 1
    assert not list((store.root / "tmp").glob("*")), "the redundant writer must clean its temp dir"


def test_new_config_makes_new_version_and_never_overwrites(store, make_pool):
    v1 = make_pool(5)
    before = {p: p.read_bytes() for p in v1.path.rglob("*") if p.is_file()}
    v2 = make_pool(6)
    assert (v1.version, v2.version) == (1, 2) and v1.id != v2.id
    assert {p: p.read_bytes() for p in v1.path.rglob("*") if p.is_file()} == before
    assert all(not os.access(p, os.W_OK) or os.geteuid() == 0 for p in before)
    assert all(oct(p.stat().st_mode)[-3:] == "444" for p in before), "committed files are read-only"
    assert store.open("pool-test@v1").info.rows == 5 and store.open("pool-test@2").info.rows == 6


def test_images_are_stored_once(store):
    frame_a = pool_frame(store, 4)
    frame_b = pool_frame(store, 4)  # the same pictures again
    assert frame_a["image_ids"].to_list() == frame_b["image_ids"].to_list()
    assert len([p for p in (store.root / "images").rglob("*") if p.is_file()]) == 4
    sha = frame_a["image_ids"][0][0]
    assert store.images.open(sha).size == (32, 32)


def test_crash_between_files_and_catalog_leaves_nothing_listed(store, make_pool, monkeypatch):
    def crash(writer):
        raise RuntimeError("injected crash before the catalog transaction")

    monkeypatch.setattr(writer_module, "before_catalog_commit", crash)
    with pytest.raises(RuntimeError, match="injected crash"):
        make_pool(3)
    assert store.list() == []
    with pytest.raises(SnapshotNotFound):
        store.open("pool-test")
    assert store.orphans(), "the durable but unlisted folder is reported as an orphan"
    monkeypatch.undo()
    info = make_pool(3)  # the next writer sets the unlisted folder aside and takes its version
    assert store.open("pool-test").info.id == info.id and info.version == 1
    assert [p.name.split("-v1-")[0] for p in (store.root / "tmp").glob("unlisted-*")] == ["unlisted-pool-test"]


def test_crash_while_writing_shards_leaves_nothing(store):
    with pytest.raises(ZeroDivisionError):
        with store.writer("pool-crash", "pool", config={}) as writer:
            writer.write(pool_frame(store, 2))
            raise ZeroDivisionError("injected failure while writing shards")
    assert store.list() == [] and not list((store.root / "tmp").glob("*"))


def test_wrong_schema_is_refused_with_column_named(store):
    with pytest.raises(ValueError, match="missing column 'answer'"):
        with store.writer("pool-bad", "pool", config={}) as writer:
            writer.write(pool_frame(store, 2).drop("answer").with_columns(pl.lit(None).alias("x")))
    assert store.list() == []


def test_catalog_persists_across_store_objects(store, make_pool):
    info = make_pool(2)
    reopened = Store(store.root)
    assert reopened.resolve(info.id).ref == "pool-test@v1"
    rows = reopened.catalog.query("SELECT manifest FROM artifacts WHERE id = ?", [info.id])
    assert json.loads(rows[0]["manifest"])["rows"] == 2


def test_bad_refs_name_what_is_there(store, make_pool):
    make_pool(2)
    with pytest.raises(SnapshotNotFound, match="pool-test"):
        store.open("nope@v1")
    with pytest.raises(SnapshotNotFound, match="NAME@vN"):
        store.open("bad name!")


def test_store_location_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("THINKSET_STORE", str(tmp_path / "env-store"))
    assert Store().root == tmp_path / "env-store"
