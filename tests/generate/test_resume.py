"""kill -9 at several points of a caption -> reason run, then run again: nothing lost, nothing asked twice,
and the snapshot equals the one of an uninterrupted run."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from curation.pipeline import run_recipe
from curation.recipe import recipe_from_dict
from curation.store import Store
from tests.conftest import pool_frame

pytestmark = [pytest.mark.server, pytest.mark.slow]
POOL_ROWS, K = 24, 2
TOTAL_REQUESTS = POOL_ROWS + POOL_ROWS * K  # one caption and K reason samples per row

CRASHING_RUN = textwrap.dedent("""
    import json, os, signal, sys
    import curation.generate.runner as runner
    import curation.store.writer as writer
    from curation.pipeline import run_recipe
    from curation.recipe import recipe_from_dict
    from curation.store import Store

    store_path, recipe, crash_after = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
    seen = 0

    def crash_after_results(result):
        global seen
        seen += 1
        if seen == crash_after:
            os.kill(os.getpid(), signal.SIGKILL)

    if crash_after > 0:
        runner.after_result = crash_after_results
    else:  # everything generated and cached; killed between the snapshot's files and its catalog entry
        writer.before_catalog_commit = lambda w: os.kill(os.getpid(), signal.SIGKILL)
    run_recipe(recipe_from_dict(recipe), Store(store_path))
    sys.exit("the run was expected to be killed")
""")


def make_store(path: Path) -> Store:
    store = Store(path)
    with store.writer("pool-resume", "pool", config={"resume_pool": POOL_ROWS}) as writer:
        writer.write(pool_frame(store, POOL_ROWS))
    return store


def recipe_dict(url: str) -> dict:
    server = {"backend": "openai", "base_url": url, "concurrency": 4}
    return {"name": "resume-test", "input": "pool-resume", "output": "rollouts-resume", "stages": [
        {"type": "caption", "model": "captioner", **server},
        {"type": "reason", "model": "reasoner", "k": K, "preset": "sampling", "seed": 7, **server}]}


def cached_results(store: Store) -> int:
    total = 0
    for path in (store.root / "work").rglob("generations.sqlite"):
        with sqlite3.connect(path) as db:
            total += db.execute("SELECT count(*) FROM results").fetchone()[0]
    return total


def comparable(store: Store):
    snapshot = store.open("rollouts-resume")
    return snapshot.info.id, snapshot.read().drop("latency_s").sort("id")


@pytest.fixture
def baseline(tmp_path, chat_server):
    chat_server.latency = 0.005
    store = make_store(tmp_path / "baseline")
    run_recipe(recipe_from_dict(recipe_dict(chat_server.url)), store)
    assert len(chat_server.log) == TOTAL_REQUESTS
    chat_server.log.clear()
    return comparable(store)


@pytest.mark.parametrize("crash_after", [3, 30, 50, TOTAL_REQUESTS - 1, 0],
                         ids=["first-batch", "end-of-captions", "mid-reason", "last-request", "before-commit"])
def test_resume_after_kill_9_gives_the_same_snapshot(tmp_path, chat_server, baseline, crash_after):
    store = make_store(tmp_path / "crashed")
    recipe = recipe_dict(chat_server.url)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    crashed = subprocess.run([sys.executable, "-c", CRASHING_RUN, str(store.root), json.dumps(recipe),
                              str(crash_after)], capture_output=True, text=True, timeout=120, env=env)
    assert crashed.returncode == -9, crashed.stderr[-2000:]
    assert store.list("rollouts-resume") == []
    durable = cached_results(store)
    assert durable == TOTAL_REQUESTS if crash_after == 0 else durable < crash_after

    served_before = len(chat_server.log)
    run_recipe(recipe_from_dict(recipe), store)
    # What was durable is not asked again; everything else is asked exactly once.
    assert len(chat_server.log) - served_before == TOTAL_REQUESTS - durable
    snapshot_id, frame = comparable(store)
    baseline_id, baseline_frame = baseline
    assert snapshot_id == baseline_id
    assert frame.equals(baseline_frame)
