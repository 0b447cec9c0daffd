"""Kills anywhere: `thinkset run` SIGKILLed at each fault point (generation, its cache, image writes, between
shards and batches, inside the snapshot's publish and inside a catalog transaction), then run again. The store
ends equal to an uninterrupted run's (snapshot ids, versions, rows, rejections, funnel), nothing partial is
ever listed, no durable result is asked for twice, and `store gc` leaves no orphan."""

from __future__ import annotations

import json

import pytest

from curation.store import Store
from curation.store.verify import verify_store
from tests.generate.chat_server import ChatServer
from tests.store.reliability import durable_results, generation_recipe, listed_damage, store_state, thinkset

pytestmark = [pytest.mark.slow, pytest.mark.server]
KILL_POINTS = ["generate.result:5", "generate.cache_commit:2", "images.put:4", "writer.shard:3",
               "pipeline.batch:2", "writer.before_rename:2", "writer.publish:2", "catalog.transaction:3"]


@pytest.fixture(scope="module")
def server():
    chat = ChatServer().start()
    yield chat
    chat.stop()


@pytest.fixture(scope="module")
def baseline(server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("kills")
    recipe = generation_recipe(folder, "kills", server={"backend": "openai", "base_url": server.url,
                                                        "concurrency": 2})
    before = len(server.log)
    done = thinkset(["run", str(recipe)], folder / "baseline")
    assert done.returncode == 0, done.stderr[-3000:]
    return recipe, store_state(Store(folder / "baseline")), len(server.log) - before


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_run_killed_anywhere_resumes_to_the_same_store(point, server, baseline, tmp_path):
    recipe, expected, total_requests = baseline
    store_path = tmp_path / "store"
    killed = thinkset(["run", str(recipe)], store_path, faultpoint=point)
    assert killed.returncode == -9, f"{point} was never hit: {killed.stderr[-2000:]}"
    store = Store(store_path)
    assert listed_damage(store) == [], "nothing partial is listed"
    listed = {info.name: info.id for info in store.list()}
    assert all(expected[name]["id"] == snapshot_id for name, snapshot_id in listed.items())

    durable, served_before = durable_results(store_path), len(server.log)
    again = thinkset(["run", str(recipe)], store_path)
    assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr[-3000:]
    assert len(server.log) - served_before == total_requests - durable, "a durable result was asked again"
    assert store_state(store) == expected

    gc = thinkset(["store", "gc", "--yes", "--json"], store_path)
    assert gc.returncode == 0, gc.stderr[-2000:]
    assert json.loads(gc.stdout)["dry_run"] is False
    report = verify_store(store)
    assert report.ok, report.problems
    assert store_state(store) == expected, "gc removed nothing a snapshot needs"


def test_iterate_killed_inside_a_snapshot_publish_resumes_clean(tmp_path):
    """`thinkset iterate` (one tiny iteration) SIGKILLed inside the atomic publish of its third snapshot (the
    teacher's rollouts), then run again: the loop finishes, every snapshot and model exists once, and after
    `store gc` the store verifies clean."""
    import yaml

    from tests.training.loop.test_iterate import LOOP
    from training.loop.config import load_loop
    from training.loop.iterate import loop_status
    from training.loop.state import LoopState

    loop = {**LOOP, "iterations": LOOP["iterations"][:1], "pool": {"name": "pool-t", "synthetic": {"n": 40, "seed": 0}}}
    recipe, store_path = tmp_path / "loop.yaml", tmp_path / "store"
    recipe.write_text(yaml.safe_dump(loop))
    killed = thinkset(["iterate", str(recipe)], store_path, faultpoint="writer.publish:3", timeout=900)
    assert killed.returncode == -9, killed.stderr[-3000:]
    store = Store(store_path)
    assert listed_damage(store) == [], "nothing partial is listed"
    unlisted = [p for p in (store_path / "snapshots").glob("*/v*") if p.resolve() not in
                {s.path.resolve() for s in store.list()}]
    assert len(unlisted) == 1, "killed with its folder in place, before the catalog listed it"

    again = thinkset(["iterate", str(recipe)], store_path, timeout=900)
    assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr[-3000:]
    assert all(row["status"] == "done" for row in loop_status(store, load_loop(recipe)))
    assert all(info.version == 1 for info in store.list()), "the killed publish's version was reused"
    assert all(model["version"] == 1 for model in store.artifacts("model"))
    trainer_runs = [(e["iteration"], e["step"]) for e in LoopState(store, "t-loop").events("trainer_run")]
    assert sorted(trainer_runs) == [(1, "grpo-train"), (1, "sft-train")], "killed before training: once each"
    collect = thinkset(["store", "gc", "--yes"], store_path)
    assert collect.returncode == 0, collect.stderr[-2000:]
    report = verify_store(store)
    assert report.ok, report.problems
