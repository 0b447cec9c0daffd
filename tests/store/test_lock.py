"""The store lock: writers queue with a message naming the holder; a killed holder never blocks the store;
readers never take it, and wait out a commit's DuckDB lock instead of failing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from curation.store import Store
from curation.store.lock import StoreLock

ROOT = Path(__file__).resolve().parents[2]
# Holds the lock of the store at argv[1] (optionally with the catalog open read-write) until argv[2] exists.
HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from curation.store import Store
    store = Store(sys.argv[1])
    with store.catalog.connect() if sys.argv[3] == "catalog" else store.catalog.write_lock():
        Path(sys.argv[2] + ".held").touch()
        while not Path(sys.argv[2]).exists():
            time.sleep(0.02)
        if sys.argv[3] == "register":  # commits a version of "m" just before it lets go
            store.register_artifact(name="m", kind="model", path="first")
""")


def start_holder(store: Store, release: Path, what: str = "lock", *extra: str) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(store.root), str(release), what, *extra],
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not Path(f"{release}.held").exists():
        assert holder.poll() is None, holder.stderr.read()
        assert time.monotonic() < deadline, "the holder never took the lock"
        time.sleep(0.02)
    return holder


def test_a_writer_waits_with_a_message_naming_the_holder(store, tmp_path):
    release = tmp_path / "release"
    holder = start_holder(store, release)
    notices: list[str] = []
    lock = StoreLock(store.catalog.lock.path, notice=notices.append)
    try:
        with pytest.raises(TimeoutError, match=f"held after .* s \\(pid {holder.pid} running"):
            with lock.hold(timeout=1.0):
                pass
        assert len(notices) == 1
        assert notices[0].startswith(f"waiting for the store lock held by pid {holder.pid} running `")
        assert " since " in notices[0] and "-c" in notices[0]
        release.touch()
        with lock.hold(timeout=30):
            assert json.loads(lock.holder_path.read_text())["pid"] == os.getpid()
    finally:
        release.touch()
        holder.wait(30)
    assert not lock.holder_path.exists(), "the record goes with the lock"


def test_a_killed_holder_never_blocks_the_store_and_its_record_is_stale(store, tmp_path):
    holder = start_holder(store, tmp_path / "never")
    lock = StoreLock(store.catalog.lock.path, notice=lambda message: None)
    assert lock.stale_holder() is None, "the holder is alive"
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(30)
    assert lock.stale_holder() is not None and lock.stale_holder().pid == holder.pid
    with lock.hold(timeout=5):  # the kernel released it with the process
        assert lock.stale_holder() is None


def test_the_holder_record_and_the_wait_notice_never_show_credentials(store, tmp_path):
    # The record stays on disk when its holder is killed, and every waiting writer prints it.
    holder = start_holder(store, tmp_path / "never", "lock", "--base-url", "http://user:s3cret-pw@host/v1?api_key=k3y")
    notices: list[str] = []
    lock = StoreLock(store.catalog.lock.path, notice=notices.append)
    try:
        with pytest.raises(TimeoutError):
            with lock.hold(timeout=1):
                pass
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(30)
    record = lock.holder_path.read_text()
    assert "http://***@host/v1?api_key=***" in record and "--base-url" in notices[0]
    for shown in (record, *notices):
        assert "s3cret-pw" not in shown and "k3y" not in shown


def test_the_lock_is_reentrant_in_one_process(store):
    with store.catalog.write_lock(), store.catalog.write_lock():
        store.register_artifact(name="m", kind="model", path="x")  # a transaction inside the held lock
    assert [a["name"] for a in store.artifacts("model")] == ["m"]


def test_readers_do_not_take_the_store_lock(store, make_pool, tmp_path):
    info = make_pool(2)
    release = tmp_path / "release"
    holder = start_holder(store, release)  # a writer between its commits holds only the lock, not the file
    try:
        reader = Store(store.root)
        assert [s.id for s in reader.list()] == [info.id] and reader.open(info.ref).read().height == 2
        assert reader.catalog.funnel(info.id) == [] and reader.lineage(info.id) == []
        assert holder.poll() is None, "the reads finished while the lock was still held"
    finally:
        release.touch()
        holder.wait(30)


def test_a_read_waits_out_a_commit_holding_the_catalog_file(store, make_pool, tmp_path):
    info = make_pool(2)
    release = tmp_path / "release"
    holder = start_holder(store, release, "catalog")  # DuckDB's own lock: a read-only open fails meanwhile
    try:
        reader = Store(store.root)
        subprocess.Popen([sys.executable, "-c", f"import time, pathlib; time.sleep(1.0); "
                          f"pathlib.Path({str(release)!r}).touch()"])
        assert [s.id for s in reader.list()] == [info.id]  # retried until the commit released the file
        assert holder.poll() is not None or release.exists()
    finally:
        release.touch()
        holder.wait(30)


def test_a_version_is_read_under_the_lock_that_commits_it(store, tmp_path):
    """Two processes registering the same name: the second reads the next version only once it holds the lock,
    so it never takes a version the first committed while it waited (before: a UNIQUE constraint error)."""
    import threading

    release = tmp_path / "release"
    holder = start_holder(store, release, "register")
    waiting = threading.Event()
    store.catalog.lock.notice = lambda message: waiting.set()
    registered: list[str] = []
    second = threading.Thread(target=lambda: registered.append(
        store.register_artifact(name="m", kind="model", path="second")))
    second.start()
    try:
        assert waiting.wait(60), "the second writer never queued"
        release.touch()
        second.join(120)
    finally:
        release.touch()
        holder.wait(30)
    assert registered, "the second registration failed"
    assert sorted((a["version"], a["path"]) for a in store.artifacts("model")) == [(1, "first"), (2, "second")]


def test_a_catalog_held_too_long_is_a_clear_error_not_a_traceback(store, make_pool, tmp_path):
    make_pool(2)
    release = tmp_path / "release"
    holder = start_holder(store, release, "catalog")  # a process keeping the catalog file open, as no commit does
    try:
        listed = subprocess.run([sys.executable, "-m", "curation.cli", "snapshots", "list", "--store",
                                 str(store.root)], capture_output=True, text=True, timeout=120,
                                env={**os.environ, "PYTHONPATH": str(ROOT), "THINKSET_CATALOG_WAIT_S": "0.5"})
    finally:
        release.touch()
        holder.wait(30)
    assert listed.returncode == 1 and "Traceback" not in listed.stderr, listed.stderr[-2000:]
    assert listed.stderr.startswith(f"error: the catalog {store.root / 'catalog.duckdb'} stayed locked")
    assert "THINKSET_CATALOG_WAIT_S" in listed.stderr
