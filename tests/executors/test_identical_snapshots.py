"""Both executors make the same snapshot: content id, rows in order, rejections, funnel.

A recipe with every filter and a generation stage (the openai backend against the local test server)
runs once with the local executor and once on a local Ray (``ray.init(num_cpus=2)``), into two stores.
"""

from __future__ import annotations

import polars as pl

from curation.executors import make_executor
from curation.pipeline import run_recipe
from curation.recipe import recipe_from_dict
from curation.store import Store
from tests.conftest import pool_frame

MEASURED = ["latency_s"]


def every_filter_recipe(server_url: str) -> dict:
    return {"name": "exec-test", "input": "pool-exec", "output": "sft-exec", "batch_rows": 7, "seed": 0, "stages": [
        {"type": "dedup"},
        {"type": "image"},
        {"type": "reason", "backend": "openai", "model": "teacher", "base_url": server_url, "mode": "image",
         "k": 4, "preset": "sampling", "output": "rollouts-exec"},
        {"type": "reflection"},
        {"type": "length", "max_words": 30},
        {"type": "format"},
        {"type": "correctness"},
        {"type": "dedup", "columns": ["problem", "response"]},
        {"type": "select", "strategy": "shortest_correct"},
    ]}


def make_store(path, n: int) -> Store:
    store = Store(path)
    with store.writer("pool-exec", "pool", config={"exec_pool": n}) as writer:
        frame = pool_frame(store, n)
        # two exact duplicates for the first dedup
        writer.write(pl.concat([frame, frame.head(2).with_columns(pl.col("id") + "-dup")]))
    return store


def snapshot_view(store: Store, ref: str) -> dict:
    snapshot = store.open(ref)
    funnel = [{k: v for k, v in row.items() if k not in ("seconds", "snapshot_id")} for row in
              store.catalog.funnel(snapshot.info.id)]
    # rejections in stage order; within a stage, in row order (shard boundaries may differ between executors)
    rejections = snapshot.rejections().collect().sort("stage_index", maintain_order=True).with_columns(
        pl.col("row").str.replace(r'"latency_s":[0-9.e-]+', '"latency_s":_'))
    return {"id": snapshot.info.id, "rows": snapshot.read(), "rejections": rejections, "funnel": funnel}


def test_local_and_ray_executors_make_the_same_snapshots(tmp_path, local_ray, teacher_server):
    recipe = recipe_from_dict(every_filter_recipe(teacher_server.url))
    local_store, ray_store = make_store(tmp_path / "local", 20), make_store(tmp_path / "ray", 20)
    local = run_recipe(recipe, local_store)
    asked_locally = len(teacher_server.log)
    remote = run_recipe(recipe, ray_store, executor=make_executor("ray"))
    assert len(teacher_server.log) == 2 * asked_locally  # the ray run asked for every request once, too

    assert [s.id for s in local.in_order] == [s.id for s in remote.in_order]
    for ref in ("rollouts-exec", "sft-exec"):
        a, b = snapshot_view(local_store, ref), snapshot_view(ray_store, ref)
        assert a["id"] == b["id"]
        # latency_s is how long the server took for that request in that run: a measurement, not content
        assert a["rows"].drop(MEASURED).equals(b["rows"].drop(MEASURED)), ref
        assert a["rejections"].equals(b["rejections"]), ref
        assert a["funnel"] == b["funnel"], ref
    rollouts = snapshot_view(local_store, "rollouts-exec")
    assert rollouts["rows"].height == 20 * 4
    reasons = {row["stage"]: row for row in snapshot_view(local_store, "sft-exec")["funnel"]}
    # the teacher's answers make every filter of the second segment drop something
    for stage in ("reflection", "length", "format", "correctness"):
        assert reasons[stage]["rows_in"] >= reasons[stage]["rows_out"], stage
    dropped = set(snapshot_view(local_store, "sft-exec")["rejections"]["stage"])
    assert {"length", "format", "correctness", "dedup-2"} <= dropped  # reflection-cut copies are duplicates


def test_ray_executor_from_the_cli_options(tmp_path, local_ray, teacher_server):
    store = make_store(tmp_path / "s", 6)
    recipe = recipe_from_dict({**every_filter_recipe(teacher_server.url), "stages": [
        {"type": "reason", "backend": "openai", "model": "teacher", "base_url": teacher_server.url, "k": 2,
         "mode": "image"}, {"type": "format"}]})
    result = run_recipe(recipe, store, {"executor": "ray"})
    again = run_recipe(recipe, Store(tmp_path / "s"), {"executor": "local"})
    assert again.reused and again.final.id == result.final.id  # the executor is not in the content id


def test_two_actors_keep_the_rows_in_order(tmp_path, local_ray, teacher_server):
    """Two actors (half a CPU each, so the reads keep one) finish batches out of order; the snapshot doesn't."""
    from curation.executors.ray import RayExecutor

    executor = RayExecutor(workers=2, actor_cpus=0.5)
    assert executor.pool_size(local_ray) == 2
    recipe = recipe_from_dict(every_filter_recipe(teacher_server.url))
    local_store, ray_store = make_store(tmp_path / "local", 20), make_store(tmp_path / "ray", 20)
    run_recipe(recipe, local_store)
    run_recipe(recipe, ray_store, executor=executor)
    for ref in ("rollouts-exec", "sft-exec"):
        a, b = snapshot_view(local_store, ref), snapshot_view(ray_store, ref)
        assert a["id"] == b["id"]
        assert a["rows"].drop(MEASURED).equals(b["rows"].drop(MEASURED)), ref
        assert a["rejections"].equals(b["rejections"]), ref
        assert a["funnel"] == b["funnel"], ref
