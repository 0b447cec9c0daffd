"""Generation on Ray without GPUs: Ray actors drive the openai backend against several server replicas;
the cache and resume are the local ones (same keys), so a killed ray run resumed asks only for what was
missing, counted at the test server."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from curation.executors import make_executor
from curation.pipeline import run_recipe
from curation.recipe import recipe_from_dict
from curation.store import Store
from tests.conftest import pool_frame
from tests.generate.chat_server import ChatServer

POOL_ROWS, K = 16, 2

KILLED_RUN = textwrap.dedent("""
    import json, sys
    import ray
    from curation.pipeline import run_recipe
    from curation.recipe import recipe_from_dict
    from curation.store import Store

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    run_recipe(recipe_from_dict(json.loads(sys.argv[2])), Store(sys.argv[1]), {"executor": "ray"})
""")


def reason_recipe(base_url: str) -> dict:
    return {"name": "ray-gen", "input": "pool-gen", "output": "rollouts-gen", "batch_rows": 4, "stages": [
        {"type": "reason", "backend": "openai", "model": "teacher", "base_url": base_url, "mode": "image",
         "k": K, "preset": "sampling", "concurrency": 2}]}


def make_store(path: Path) -> Store:
    store = Store(path)
    with store.writer("pool-gen", "pool", config={"gen_pool": POOL_ROWS}) as writer:
        writer.write(pool_frame(store, POOL_ROWS))
    return store


def cached_keys(store_root: Path) -> set[str]:
    [cache] = list((store_root / "work" / "ray-gen").glob("*/generations.sqlite"))
    with sqlite3.connect(cache) as db:
        return {key for (key,) in db.execute("SELECT key FROM results")}


def test_actors_spread_requests_over_server_replicas(tmp_path, local_ray):
    servers = [ChatServer().start() for _ in range(2)]
    try:
        store = make_store(tmp_path / "s")
        urls = ",".join(s.url for s in servers)
        result = run_recipe(recipe_from_dict(reason_recipe(urls)), store, executor=make_executor("ray"))
        served = [len(s.log) for s in servers]
        assert sum(served) == POOL_ROWS * K and all(n > 0 for n in served)  # every replica took a share
        assert store.open(result.final.id).info.rows == POOL_ROWS * K
        # the replicas are where to ask, not what: the same snapshot as one server gives
        single = make_store(tmp_path / "one")
        alone = run_recipe(recipe_from_dict(reason_recipe(servers[0].url)), single, executor=make_executor("ray"))
        assert alone.final.id == result.final.id
    finally:
        for server in servers:
            server.stop()


def test_a_killed_ray_run_resumed_asks_only_for_what_was_missing(tmp_path, local_ray):
    server = ChatServer(latency=0.3).start()
    try:
        root = tmp_path / "s"
        make_store(root)
        recipe = reason_recipe(server.url)
        # kill -9 the run (driver, its Ray and the actors: one process group) once the server answered a third
        env = {**os.environ, "THINKSET_QUIET": "1"}
        run = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(root), json.dumps(recipe)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + 240
        while len(server.log) < POOL_ROWS * K // 3 and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
        assert Store(root).list("rollouts-gen") == []  # nothing half-written is listed
        settled = -1
        while settled != len(server.log):  # no orphaned actor goes on asking
            settled = len(server.log)
            time.sleep(1.0)
        done = cached_keys(root)
        assert 0 < len(done) < POOL_ROWS * K  # killed mid-generation
        asked_before = len(server.log)

        result = run_recipe(recipe_from_dict(recipe), Store(root), executor=make_executor("ray"))
        resumed = server.log[asked_before:]
        assert len(resumed) == POOL_ROWS * K - len(done)  # only what the cache did not hold
        assert Store(root).open(result.final.id).info.rows == POOL_ROWS * K
        assert cached_keys(root) >= done and len(cached_keys(root)) == POOL_ROWS * K
    finally:
        server.stop()
