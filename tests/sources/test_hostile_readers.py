"""Readers and row parsers under hostile input: one bad line, file or value costs only itself, and says where."""

from __future__ import annotations

import io
import json

import polars as pl
import pytest

from curation.rows import StageFailed
from curation.schema import IngestError, PoolRecord
from curation.sources.layout_rows import MAX_TEXT_CHARS
from curation.sources.layouts import iter_records
from curation.sources.readers import SourceError


def split_results(items):
    items = list(items)
    return [i for i in items if isinstance(i, PoolRecord)], [i for i in items if isinstance(i, IngestError)]


def good(i: int) -> dict:
    return {"problem": f"What is {i} + 1?", "answer": str(i + 1)}


def test_a_jsonl_line_that_is_not_json_costs_only_that_line(tmp_path):
    lines = [json.dumps(good(0)), '{"problem": "cut', "plain words", "[1, 2]", json.dumps(good(1)), ""]
    (tmp_path / "train.jsonl").write_text("\n".join(lines))
    records, errors = split_results(iter_records(str(tmp_path)))
    assert [r.answer for r in records] == ["1", "2"]
    assert [e.reason for e in errors] == ["not_json"] * 3
    assert "line 2" in errors[0].detail and "train.jsonl" in errors[0].location
    assert "a JSON list" in errors[2].detail


def test_non_utf8_and_deeply_nested_lines_are_quarantined_by_line(tmp_path):
    raw = [json.dumps(good(0)).encode(), b'{"problem": "caf\xe9", "answer": "1"}', b"[" * 50_000,
           json.dumps(good(1)).encode()]
    (tmp_path / "train.jsonl").write_bytes(b"\n".join(raw))
    records, errors = split_results(iter_records(str(tmp_path)))
    assert len(records) == 2
    assert [(e.reason, "line 2" in e.detail) for e in errors][:1] == [("not_utf8", True)]
    assert errors[1].reason == "not_json" and "line 3" in errors[1].detail


def test_a_corrupt_parquet_file_is_named_and_its_siblings_are_read(tmp_path):
    pl.DataFrame({"problem": ["a?", "b?"], "answer": ["1", "2"]}).write_parquet(tmp_path / "train-00000-of-00002.parquet")
    buffer = io.BytesIO()
    pl.DataFrame({"problem": ["c?"] * 20, "answer": ["3"] * 20}).write_parquet(buffer)
    (tmp_path / "train-00001-of-00002.parquet").write_bytes(buffer.getvalue()[:100])
    records, errors = split_results(iter_records(str(tmp_path)))
    assert [r.problem for r in records] == ["a?", "b?"]
    assert len(errors) == 1 and errors[0].reason == "unreadable_file"
    assert "train-00001-of-00002.parquet" in errors[0].detail and "rewrite or remove" in errors[0].detail


def test_files_whose_column_types_differ_are_each_read(tmp_path):
    pl.DataFrame({"problem": ["a?"], "answer": [1]}).write_parquet(tmp_path / "train-00000-of-00002.parquet")
    pl.DataFrame({"problem": ["b?"], "answer": ["two"]}).write_parquet(tmp_path / "train-00001-of-00002.parquet")
    records, errors = split_results(iter_records(str(tmp_path)))
    assert errors == [] and [r.answer for r in records] == ["1", "two"]


@pytest.mark.parametrize("write", [
    lambda folder: (folder / "train.jsonl").write_bytes(b""),
    lambda folder: (folder / "train.jsonl").write_text("\n\n  \n"),
    lambda folder: pl.DataFrame(schema={"problem": pl.Utf8, "answer": pl.Utf8}).write_parquet(folder / "train.parquet"),
])
def test_an_empty_dataset_is_a_clear_message(tmp_path, write):
    write(tmp_path)
    with pytest.raises(SourceError, match="no rows") as raised:
        list(iter_records(str(tmp_path)))
    assert str(tmp_path) in str(raised.value) and isinstance(raised.value, StageFailed)  # the CLI's clean exit


def test_a_stray_key_in_one_json_row_does_not_change_the_layout_of_the_others(tmp_path):
    rows = [good(0), {"messages": "not a conversation", "junk": 1}, good(1)]
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    records, errors = split_results(iter_records(str(tmp_path)))
    assert [r.answer for r in records] == ["1", "2"] and len(errors) == 1


def test_nan_inf_mistyped_long_and_invisible_values(tmp_path):
    rows = [{"problem": "a?", "answer": float("nan")}, {"problem": "b?", "answer": float("inf")},
            {"problem": "c?", "answer": {"value": 3}}, {"problem": ["x", "y"], "answer": "1"},
            {"problem": "d" * (MAX_TEXT_CHARS + 1), "answer": "1"},
            {"problem": "How\x00 many\x07 sides?\u202e", "answer": "4\x1b"}, {"problem": 12, "answer": 3.0}]
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(r, allow_nan=True) + "\n" for r in rows))
    records, errors = split_results(iter_records(str(tmp_path)))
    assert [e.reason for e in errors] == ["bad_answer", "bad_answer", "mistyped_field", "mistyped_field",
                                          "text_too_long"]
    assert "NaN" not in errors[0].detail and "nan" in errors[0].detail
    assert [(r.problem, r.answer) for r in records] == [("How many sides?", "4"), ("12", "3")]


def test_a_quarantined_row_names_its_file_and_row_within_it(tmp_path):
    pl.DataFrame({"problem": ["a?", "b?"], "answer": ["1", "2"]}).write_parquet(tmp_path / "train-00000-of-00002.parquet")
    pl.DataFrame({"problem": ["c?", "d?", "e?"], "answer": ["3", None, "5"]}).write_parquet(
        tmp_path / "train-00001-of-00002.parquet")
    records, errors = split_results(iter_records(str(tmp_path)))
    assert len(records) == 4 and len(errors) == 1
    assert errors[0].row_index == 3 and errors[0].reason == "no_answer"
    assert errors[0].location.endswith("file train-00001-of-00002.parquet row 1")


def test_json_files_as_an_array_one_pretty_object_or_json_lines(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "train.json").write_text(json.dumps([good(0), 5, good(1)], indent=2))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "train.json").write_text(json.dumps(good(2), indent=2))
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "train.json").write_text(json.dumps(good(3)) + "\n" + json.dumps(good(4)) + "\n")
    array_records, array_errors = split_results(iter_records(str(tmp_path / "a")))
    assert [r.answer for r in array_records] == ["1", "2"] and "item 2" in array_errors[0].detail
    assert [r.answer for r in split_results(iter_records(str(tmp_path / "b")))[0]] == ["3"]
    assert [r.answer for r in split_results(iter_records(str(tmp_path / "c")))[0]] == ["4", "5"]
