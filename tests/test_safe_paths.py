"""Names and paths from users stay inside the store: snapshot names in recipes and writers, recipe and stage
names (work folders), snapshot folders on read, image ids."""

from __future__ import annotations

import os

import pytest
import yaml

from curation.recipe import RecipeError, load_recipe, recipe_from_dict
from curation.safe_paths import UnsafeName, check_snapshot_name, resolve_inside
from curation.store import SnapshotNotFound
from tests.conftest import pool_frame

UNSAFE = ["../escape", "/abs", "a/b", "x@v1", "", "..", "a..b", ".hidden", "a b", "a\\b", "-flag"]


@pytest.mark.parametrize("name", UNSAFE)
def test_unsafe_snapshot_names_are_refused(name):
    with pytest.raises(UnsafeName, match="not a snapshot name"):
        check_snapshot_name(name)


@pytest.mark.parametrize("name", ["sft-iter1", "pool_v2", "a.b", "GRPO1"])
def test_plain_snapshot_names_pass(name):
    assert check_snapshot_name(name) == name


def _recipe(**top) -> dict:
    return {"name": "r", "output": "ok", "stages": [{"type": "synthetic_pool", "n": 2}], **top}


@pytest.mark.parametrize("change", [{"output": "../../outside"}, {"output": "/tmp/x"}, {"input": "../pool@v1"},
                                    {"name": "../../work-escape"},
                                    {"stages": [{"type": "synthetic_pool", "n": 2, "output": "a/../../b"}]},
                                    {"stages": [{"type": "synthetic_pool", "n": 2, "name": "x/../../y"}]}])
def test_a_recipe_cannot_name_a_path_outside_the_store(change):
    with pytest.raises(RecipeError) as raised:
        recipe_from_dict(_recipe(**change), where="r.yaml")
    assert "r.yaml" in str(raised.value)


def test_recipe_inputs_with_versions_still_load():
    recipe = recipe_from_dict({"name": "r", "input": "pool-demo@v2", "output": "out", "stages": [{"type": "length"}]})
    assert recipe.input == "pool-demo@v2"


def test_a_recipe_is_data_not_code(tmp_path):
    path = tmp_path / "evil.yaml"
    marker = tmp_path / "pwned"
    path.write_text(f"name: !!python/object/apply:os.system ['touch {marker}']\noutput: x\nstages: []\n")
    with pytest.raises(RecipeError, match="malformed YAML"):
        load_recipe(path)
    assert not marker.exists()


def test_alias_bombs_and_deep_nesting_are_refused_not_expanded(tmp_path):
    levels = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for i, name in enumerate("bcdefg"):
        previous = "abcdefg"[i]
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(levels) + "\nname: x\noutput: y\nstages: [{type: synthetic_pool}]\noptions: {g: *g}\n")
    with pytest.raises(RecipeError, match="anchors"):
        load_recipe(bomb)
    deep = tmp_path / "deep.yaml"
    deep.write_text("[" * 20_000 + "]" * 20_000)
    with pytest.raises(RecipeError, match="nests more than 64 levels"):
        load_recipe(deep)
    ok = tmp_path / "ok.yaml"  # anchors used as intended still work
    ok.write_text(yaml.safe_dump(_recipe()) + "checks: {a: &m {x: 1}, b: *m}\n")
    assert load_recipe(ok).checks["b"] == {"x": 1}


def test_the_store_refuses_unsafe_names_and_folders_outside_it(store, tmp_path):
    with pytest.raises(UnsafeName):
        store.writer("../outside", "pool")
    with pytest.raises(UnsafeName):
        store.writer("p@v3", "pool")
    with store.writer("p", "pool") as writer:
        writer.write(pool_frame(store, 2))
    info = store.resolve("p")
    elsewhere = tmp_path / "elsewhere"
    os.rename(info.path, elsewhere)
    os.symlink(elsewhere, info.path)  # the snapshot folder now leads out of the store
    with pytest.raises(SnapshotNotFound, match="outside the store"):
        store.open("p")


def test_image_ids_never_name_paths_outside_the_image_store(store):
    for bad in ["../../catalog.duckdb", "/etc/passwd", "ab/../../x"]:
        path = store.images.path(bad)
        assert resolve_inside(store.images.root, path) is not None
        assert not store.images.exists(bad)


def test_the_store_refuses_to_write_through_a_symlink_leading_out(store, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (store.root / "snapshots").mkdir(exist_ok=True)
    (store.root / "snapshots" / "p").symlink_to(outside)
    with pytest.raises(UnsafeName, match="leads outside the store"):
        store.writer("p", "pool")
    assert list(outside.iterdir()) == []
