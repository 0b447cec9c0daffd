"""Recipe validation: every problem is reported before any work, naming the file, stage index and field."""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from curation.cli import app
from curation.recipe import RecipeError, load_recipe
from curation.store import Store


def write(tmp_path, data, name="recipe.yaml") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return str(path)


GOOD = {"name": "t", "input": "pool-x", "output": "sft-x", "stages": [{"type": "length", "max_words": 400}]}


def test_good_recipe_loads_with_typed_params(tmp_path):
    recipe = load_recipe(write(tmp_path, GOOD))
    assert recipe.stages[0].params.max_words == 400 and recipe.stages[0].name == "length"
    assert len(recipe.digest) == 64


@pytest.mark.parametrize(("change", "expected"), [
    ({"stages": [{"type": "lenght"}]}, r"stages\[0\]\.type: unknown stage type 'lenght'; known types: .*length"),
    ({"stages": [{"type": "length", "max_wrds": 3}]}, r"stages\[0\] \(length\)\.max_wrds: unknown param \(params of 'length': max_words"),
    ({"stages": [{"type": "length"}, {"type": "length", "max_words": "many"}]}, r"stages\[1\] \(length\)\.max_words: Input should be a valid integer"),
    ({"stages": [{"max_words": 3}]}, r"stages\[0\]: missing field 'type'"),
    ({"stages": []}, r"stages: a recipe needs a non-empty list"),
    ({"outptu": "x"}, r"outptu: Extra inputs are not permitted"),
    ({"input": None}, r"input: missing; name an input snapshot or start with a source stage"),
    ({"stages": [{"type": "length"}, {"type": "synthetic_pool", "n": 3}]}, r"stages\[1\] \(synthetic_pool\): a source stage can only be the first"),
])
def test_invalid_recipes_name_the_field(tmp_path, change, expected):
    path = write(tmp_path, {**GOOD, **change})
    with pytest.raises(RecipeError, match=expected) as info:
        load_recipe(path)
    assert str(info.value).startswith(path)


def test_malformed_yaml_names_line(tmp_path):
    path = write(tmp_path, "name: t\nstages:\n  - type: length\n   bad: [\n")
    with pytest.raises(RecipeError, match=r"malformed YAML \(line \d+, column \d+\)"):
        load_recipe(path)


def test_cli_exits_2_before_any_work(tmp_path):
    store = tmp_path / "store"
    path = write(tmp_path, {**GOOD, "stages": [{"type": "length", "max_words": -1}]})
    result = CliRunner().invoke(app, ["run", path, "--store", str(store)])
    assert result.exit_code == 2
    assert "stages[0] (length).max_words" in result.output
    missing = write(tmp_path, GOOD, "missing-input.yaml")
    result = CliRunner().invoke(app, ["run", missing, "--store", str(store)])
    assert result.exit_code == 2 and "input: no snapshot 'pool-x'" in result.output
    assert Store(store).list() == []
