"""The final rename of a commit: only "that version's folder exists" moves to the next version, a bounded
number of times; any other OSError surfaces with what to do."""

from __future__ import annotations

import errno
import os

import pytest

from curation.store import writer as writer_module
from tests.conftest import pool_frame


def _failing_rename(code: int, calls: list[int]):
    def rename(src, dst):
        calls.append(1)
        if len(calls) > writer_module.MAX_RENAME_ATTEMPTS + 5:  # would loop forever without a bound
            raise AssertionError("rename retried without a bound")
        raise OSError(code, os.strerror(code))
    return rename


def test_other_rename_errors_surface_at_once(store, monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(writer_module.os, "rename", _failing_rename(errno.EACCES, calls))
    with pytest.raises(OSError, match="cannot move snapshot 'pool-r'.*Permission denied.*permissions") as info:
        with store.writer("pool-r", "pool", config={}) as writer:
            writer.write(pool_frame(store, 2))
    assert info.value.errno == errno.EACCES and len(calls) == 1
    assert store.list() == [] and not list((store.root / "tmp").glob("*")), "the temp folder is removed"


def test_target_exists_retries_a_bounded_number_of_times(store, monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(writer_module.os, "rename", _failing_rename(errno.ENOTEMPTY, calls))
    with pytest.raises(OSError, match="orphan"):
        with store.writer("pool-r", "pool", config={}) as writer:
            writer.write(pool_frame(store, 2))
    assert len(calls) == writer_module.MAX_RENAME_ATTEMPTS


def test_an_unlisted_version_folder_is_set_aside_and_its_version_reused(store, make_pool):
    (store.root / "snapshots" / "pool-test" / "v1" / "data").mkdir(parents=True)  # left by a killed writer
    info = make_pool(2)
    assert info.version == 1 and store.open("pool-test").info.id == info.id
    assert len(list((store.root / "tmp").glob("unlisted-pool-test-v1-*"))) == 1, "kept for `store gc`"


def test_a_listed_version_folder_is_never_set_aside(store, make_pool):
    first = make_pool(2)
    second = make_pool(3)
    assert (first.version, second.version) == (1, 2) and (first.path / "manifest.json").exists()
