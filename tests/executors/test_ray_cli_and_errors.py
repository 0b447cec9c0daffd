"""`thinkset run --executor ray`, and errors raised on a Ray worker reaching the user as on one machine."""

from __future__ import annotations

import socket

import pytest
import yaml
from typer.testing import CliRunner

from curation.cli import app
from curation.executors import make_executor
from curation.pipeline import run_recipe
from curation.recipe import RecipeError, recipe_from_dict
from curation.rows import StageFailed
from curation.store import Store
from tests.executors.test_identical_snapshots import make_store


def test_run_with_executor_ray_from_the_command_line(tmp_path, local_ray):
    make_store(tmp_path / "s", 6)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(yaml.safe_dump({"name": "cli-ray", "input": "pool-exec", "output": "fmt", "stages": [
        {"type": "reason", "backend": "synthetic", "model": "synthetic-teacher", "mode": "image", "k": 2},
        {"type": "format"}]}))
    result = CliRunner().invoke(app, ["run", str(recipe), "--store", str(tmp_path / "s"), "--executor", "ray"])
    assert result.exit_code == 0, result.output
    assert Store(tmp_path / "s").open("fmt").info.rows > 0
    again = CliRunner().invoke(app, ["run", str(recipe), "--store", str(tmp_path / "s"), "--executor", "local"])
    assert again.exit_code == 0 and "up to date" in again.output  # same content id from either executor


def test_an_unknown_executor_is_a_clear_error():
    with pytest.raises(RecipeError, match="unknown executor 'spark'; choose one of: local, ray"):
        make_executor("spark")


def test_a_stage_failing_on_a_worker_raises_its_own_error_on_the_driver(tmp_path, local_ray):
    store = make_store(tmp_path / "s", 4)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    recipe = recipe_from_dict({"name": "fail-ray", "input": "pool-exec", "output": "x", "stages": [
        {"type": "reason", "backend": "openai", "model": "m", "base_url": f"http://127.0.0.1:{port}/v1",
         "mode": "image", "max_retries": 0, "request_timeout": 5}]})
    with pytest.raises(StageFailed, match="requests failed"):
        run_recipe(recipe, store, executor=make_executor("ray"))
    assert store.list("x") == []


def test_the_actor_pool_leaves_a_cpu_to_the_reads(local_ray):
    # with both CPUs held by actors, Ray Data's read tasks would never run and the run would hang
    assert make_executor("ray", workers=8).pool_size(local_ray) == 1
    assert make_executor("ray").pool_size(local_ray) == 1
