"""The `thinkset` CLI: machine-readable listings, show, diff, lineage, clear errors on bad refs."""

from __future__ import annotations

import json

import polars as pl
from typer.testing import CliRunner

from curation.cli import app
from tests.conftest import pool_frame

runner = CliRunner()


def invoke(store, *args):
    return runner.invoke(app, [*args, "--store", str(store.root)])


def test_list_and_show_json(store, make_pool):
    first = make_pool(4)
    second = make_pool(6)
    listed = json.loads(invoke(store, "snapshots", "list", "--json").output)
    assert [(s["name"], s["version"], s["kind"], s["rows"], s["id"]) for s in listed] == [
        ("pool-test", 1, "pool", 4, first.id), ("pool-test", 2, "pool", 6, second.id)]
    assert set(listed[0]) == {"name", "version", "kind", "rows", "id", "parents", "created_at"}
    shown = json.loads(invoke(store, "snapshots", "show", "pool-test@v1", "--json").output)
    assert shown["rows"] == 4 and shown["source_mix"] == {"synth_chart": 4}
    assert shown["schema"]["image_ids"] == "List(String)"
    text = invoke(store, "snapshots", "show", "pool-test").output
    assert "pool-test@v2" in text and "source mix" in text and "What is 0 + 1?" in text


def test_diff_json(store):
    frame = pool_frame(store, 5, with_images=False)
    for version, rows in ((1, frame), (2, frame.slice(1).with_columns(pl.lit("x").alias("answer")))):
        with store.writer("p", "pool", config={"v": version}) as w:
            w.write(rows)
    out = json.loads(invoke(store, "snapshots", "diff", "p@v1", "p@v2", "--json").output)
    assert (out["added"], out["removed"], out["changed"]) == (0, 1, 4)
    assert out["column_changes"] == {"answer": 4}


def test_lineage_json(store, make_pool):
    pool = make_pool(3)
    with store.writer("child", "pool", parents=[pool.id], config={"c": 1}, edge_kind="filtered_from") as w:
        w.write(pool_frame(store, 2))
    out = json.loads(invoke(store, "lineage", "child", "--json").output)
    assert [(e["src_name"], e["kind"]) for e in out["edges"]] == [("pool-test", "filtered_from")]


def test_lineage_lists_an_edge_reached_by_several_paths_once(store, make_pool, tmp_path):
    # pool -> sft -> model-a -> model-b, and sft -> model-b directly (a loop's GRPO model is trained on data
    # and from a model that share ancestors): pool -> sft is above model-b at depth 2 and at depth 3
    pool = make_pool(3)
    with store.writer("sft", "pool", parents=[pool.id], config={"c": 1}, edge_kind="filtered_from") as w:
        w.write(pool_frame(store, 2))
    sft = store.resolve("sft")
    model_a = store.register_artifact(name="model-a", kind="model", path=tmp_path / "a",
                                      edges=[(sft.id, "trained_on")])
    store.register_artifact(name="model-b", kind="model", path=tmp_path / "b",
                            edges=[(model_a, "trained_from"), (sft.id, "trained_on")])
    edges = json.loads(invoke(store, "lineage", "model-b", "--json").output)["edges"]
    listed = [(e["src_name"], e["kind"], e["dst_name"]) for e in edges]
    assert sorted(listed) == sorted([("model-a", "trained_from", "model-b"), ("sft", "trained_on", "model-b"),
                                     ("sft", "trained_on", "model-a"), ("pool-test", "filtered_from", "sft")])
    assert [e["depth"] for e in edges if e["src_name"] == "pool-test"] == [2]  # the nearest path's depth
    text = invoke(store, "lineage", "model-b").output
    assert text.count("pool-test@v1 --filtered_from--> sft@v1") == 1


def test_unknown_ref_exits_2_and_names_known_snapshots(store, make_pool):
    make_pool(2)
    result = invoke(store, "snapshots", "show", "pool-tset")
    assert result.exit_code == 2
    assert "no snapshot 'pool-tset'" in result.output and "pool-test" in result.output


def test_a_store_that_cannot_be_opened_is_one_line_without_credentials(tmp_path, monkeypatch):
    monkeypatch.setenv("THINKSET_CACHE", str(tmp_path / "cache"))
    (tmp_path / "a-file").write_text("not a folder")
    for where, shown in (("foo://user:pw-s3cret@host/x", "foo://***@host/x"),
                         (str(tmp_path / "a-file" / "store"), str(tmp_path / "a-file" / "store"))):
        result = runner.invoke(app, ["snapshots", "list", "--store", where])
        assert result.exit_code == 2, result.output
        message = " ".join(result.stderr.split())
        assert message.startswith(f"error: cannot open the store {shown}") and "s3cret" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
