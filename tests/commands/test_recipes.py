"""`thinkset recipes list|path`, `thinkset run NAME` of a packaged recipe, and `thinkset --version`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from curation import __version__
from curation.cli import app
from curation.packaged_recipes import packaged_recipe, packaged_recipes
from curation.recipe import RecipeError, load_recipe

runner = CliRunner()


def test_packaged_recipes_are_found_by_name():
    assert {"demo", "demo-grpo", "openvlthinker-iter1"} <= set(packaged_recipes())
    assert packaged_recipe("demo.yaml") == packaged_recipe("demo") and packaged_recipe("nope") is None
    assert load_recipe("demo").output == "sft-demo"


def test_a_file_of_that_name_wins_over_the_packaged_recipe(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("demo").write_text("name: mine\n")
    try:
        load_recipe("demo")
    except RecipeError as exc:
        assert str(exc).startswith("demo:"), "the local file is the one read"
    else:
        raise AssertionError("the local file (no stages) must be refused")


def test_recipes_cli_lists_and_prints_paths():
    listed = runner.invoke(app, ["recipes", "list", "--json"])
    assert listed.exit_code == 0 and Path(json.loads(listed.stdout)["demo"]).is_file()
    path = runner.invoke(app, ["recipes", "path", "demo"])
    assert path.exit_code == 0 and Path(path.stdout.strip()) == packaged_recipe("demo")
    missing = runner.invoke(app, ["recipes", "path", "nope"])
    assert missing.exit_code == 2 and "packaged recipes: demo" in missing.output


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"thinkset {__version__}"


def test_run_a_packaged_recipe_by_name(tmp_path):
    store = str(tmp_path / "store")
    assert runner.invoke(app, ["pool", "synth", "--n", "12", "--name", "pool-demo", "--store", store]).exit_code == 0
    result = runner.invoke(app, ["run", "demo-grpo", "--store", store])
    assert result.exit_code == 0, result.output
    assert "grpo-demo@v1" in result.output
