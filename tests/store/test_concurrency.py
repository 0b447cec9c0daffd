"""Many processes, one store: 4 `thinkset run`s of different recipes at once and a loop of readers. Every
snapshot is committed, the catalog is consistent, no process shows a traceback, readers never fail; and a
run waits for the store lock only at its commit, saying whom it waits for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from curation.store import Store
from curation.store.verify import verify_store
from tests.store.reliability import ROOT, generation_recipe, start_thinkset, store_state, thinkset_env
from tests.store.test_lock import start_holder

pytestmark = pytest.mark.slow
WRITERS = 4
SYNTHETIC = {"backend": "synthetic"}


def start_readers(store: Path, stop: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.store.reliability", "read-loop", str(store), str(stop),
                             str(out)], env=thinkset_env(), cwd=ROOT, stderr=subprocess.PIPE, text=True)


def test_four_concurrent_runs_and_readers_on_one_store(tmp_path):
    store_path = tmp_path / "store"
    Store(store_path)
    recipes = [generation_recipe(tmp_path, f"c{i}", server=SYNTHETIC, rows=8 + i, max_words=200 + 100 * i,
                                 pool_seed=i) for i in range(WRITERS)]
    stop, reads = tmp_path / "stop", tmp_path / "reads.json"
    readers = start_readers(store_path, stop, reads)
    writers = [start_thinkset(["run", str(recipe)], store_path) for recipe in recipes]
    outputs = [writer.communicate(timeout=600) for writer in writers]
    stop.touch()
    _, reader_err = readers.communicate(timeout=120)

    for writer, (out, err) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0, err[-3000:]
        assert "Traceback" not in err and "Traceback" not in out, err[-3000:]
    assert readers.returncode == 0 and "Traceback" not in reader_err, reader_err[-3000:]
    read = json.loads(reads.read_text())
    assert read["failures"] == [] and read["calls"] > 0
    print(f"readers: {read['calls']} calls, slowest {read['max_wait_s']:.2f} s")  # the benchmark reports it

    store = Store(store_path)
    state = store_state(store)
    expected = {f"{kind}-c{i}" for i in range(WRITERS) for kind in ("pool", "rollouts", "sft")}
    assert set(state) == expected and all(s["version"] == 1 for s in state.values())
    assert verify_store(store).ok, verify_store(store).problems
    for i in range(WRITERS):  # each run's own funnel: its pool's rows reach its rollouts
        assert state[f"pool-c{i}"]["rows"] == 8 + i and state[f"rollouts-c{i}"]["rows"] == 2 * (8 + i)
        rollouts = state[f"rollouts-c{i}"]["id"]
        [edge] = [e for e in store.lineage(rollouts) if e["dst_id"] == rollouts]
        assert edge["src_id"] == state[f"pool-c{i}"]["id"]


def test_a_run_waits_for_the_lock_only_at_its_commit_and_says_for_whom(tmp_path):
    store_path = tmp_path / "store"
    store = Store(store_path)
    with store.catalog.connect():  # the catalog exists: the run needs the lock for nothing before its commit
        pass
    release = tmp_path / "release"
    holder = start_holder(store, release)  # as if another run were committing, for as long as it takes
    recipe = generation_recipe(tmp_path, "w", server=SYNTHETIC, rows=6)
    run = start_thinkset(["run", str(recipe)], store_path)
    try:
        waiting = run.stderr.readline()  # the whole run up to its first commit goes by meanwhile
        assert waiting.startswith(f"waiting for the store lock held by pid {holder.pid} running `"), waiting
        assert " since " in waiting
        assert list((store_path / "tmp").glob("pool-w-*/data/*.parquet")), "its rows were written meanwhile"
        assert store.list() == [], "nothing is listed while the lock is held"
    finally:
        release.touch()
    out, err = run.communicate(timeout=300)
    holder.wait(30)
    assert run.returncode == 0 and "Traceback" not in err, err[-3000:]
    assert {info.name for info in store.list()} == {"pool-w", "rollouts-w", "sft-w"}
