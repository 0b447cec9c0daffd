"""Each kind's suite passes on a good snapshot and names the failing check on a corrupted one (real GX)."""

from __future__ import annotations

import polars as pl
import pytest

from curation.checks.config import CheckConfigError, resolve_config
from curation.checks.runner import check_frame, check_snapshot
from tests.checks.factories import good_frame, trace, write_snapshot

KINDS = ("pool", "rollouts", "sft", "grpo")


def run(store, kind, frame, **kwargs):
    info = write_snapshot(store, kind, frame, metadata=kwargs.pop("metadata", None))
    return check_snapshot(store, store.open(info.ref), **kwargs)


def failed_names(result) -> set[str]:
    return {o.name for o in result.failed}


def replace_row(frame: pl.DataFrame, index: int, **values) -> pl.DataFrame:
    rows = frame.to_dicts()
    rows[index].update(values)
    return pl.DataFrame(rows, schema=frame.schema)


@pytest.mark.parametrize("kind", KINDS)
def test_good_snapshot_passes(store, kind):
    result = run(store, kind, good_frame(store, kind))
    assert result.success, result.summary()
    assert result.rows == 12
    names = {o.name for o in result.outcomes}
    assert {"columns_present", "column_types", "ids_unique", "answer_not_empty", "images_resolvable"} <= names
    expected_extra = {"pool": "problem_image_unique", "rollouts": "samples_unique", "sft": "response_format",
                      "grpo": "pass_rate_range"}[kind]
    assert expected_extra in names


@pytest.mark.parametrize("kind", KINDS)
def test_missing_answer_is_named_with_its_row(store, kind):
    frame = good_frame(store, kind)
    frame = replace_row(replace_row(frame, 3, answer=None), 5, answer="  ")
    result = run(store, kind, frame)
    assert failed_names(result) == {"answer_not_empty"}
    outcome = next(o for o in result.failed)
    assert outcome.unexpected_count == 2 and outcome.element_count == 12
    assert {e["id"] for e in outcome.examples} == {frame["id"][3], frame["id"][5]}


@pytest.mark.parametrize("kind", KINDS)
def test_broken_image_references(store, kind):
    frame = good_frame(store, kind)
    garbage = store.images.put(b"not an image at all")
    frame = replace_row(replace_row(frame, 0, image_ids=["0" * 64]), 1, image_ids=[frame["image_ids"][1][0], garbage])
    result = run(store, kind, frame)
    assert failed_names(result) == {"images_resolvable"}
    values = {e["image_status"] for e in result.failed[0].examples}
    assert values == {f"missing {'0' * 64}", f"undecodable {garbage}"}


def test_malformed_response_and_word_bounds(store):
    frame = good_frame(store, "sft")
    frame = replace_row(frame, 2, response="The answer is 4.")  # no think block, no answer tag
    frame = replace_row(frame, 4, response=trace("5", words=600))
    result = run(store, "sft", frame)
    assert failed_names(result) == {"response_format", "word_count"}
    by_name = {o.name: o for o in result.failed}
    assert [e["id"] for e in by_name["response_format"].examples] == [frame["id"][2]]
    assert by_name["word_count"].unexpected_count == 1


@pytest.mark.parametrize("kind", KINDS)
def test_duplicate_ids(store, kind):
    frame = good_frame(store, kind)
    frame = replace_row(frame, 7, id=frame["id"][6])
    result = run(store, kind, frame)
    assert "ids_unique" in failed_names(result)
    assert result.failed[0].unexpected_count == 2


def test_pass_rate_out_of_range(store):
    frame = replace_row(good_frame(store, "grpo"), 0, pass_rate=1.5)
    result = run(store, "grpo", frame)
    assert failed_names(result) == {"pass_rate_range"}
    assert result.failed[0].examples[0]["pass_rate"] == 1.5


def test_after_difficulty_pass_rate_must_be_real(store):
    """With the difficulty stage's counts present, a null pass rate or more correct than samples fails."""
    def check(name, frame):
        info = write_snapshot(store, "grpo", frame, name=name)
        return check_snapshot(store, store.open(info.ref))

    frame = good_frame(store, "grpo").with_columns(pl.lit(4, dtype=pl.Int64).alias("n_samples"),
                                                   (pl.col("pass_rate") * 4).cast(pl.Int64).alias("n_correct"))
    assert check("grpo-good", frame).success
    broken = replace_row(replace_row(frame, 2, pass_rate=None), 5, n_correct=5)
    result = check("grpo-broken", broken)
    assert failed_names(result) == {"pass_rate_not_null", "pass_rate_counts"}
    by_name = {o.name: o for o in result.failed}
    assert [e["id"] for e in by_name["pass_rate_not_null"].examples] == [frame["id"][2]]
    assert by_name["pass_rate_counts"].unexpected_count == 1
    # without the counts (no difficulty stage ran) a null pass rate is allowed
    assert check("grpo-null", good_frame(store, "grpo").with_columns(pl.lit(None, dtype=pl.Float64)
                                                                     .alias("pass_rate"))).success


def test_duplicate_problem_image_pairs(store):
    frame = good_frame(store, "sft")
    frame = replace_row(frame, 1, problem=frame["problem"][0], image_ids=frame["image_ids"][0])
    assert failed_names(run(store, "sft", frame)) == {"problem_image_unique"}


def test_recipe_checks_recorded_in_manifest_extend_the_suite(store):
    checks = {"source_mix": {"synth_chart": [0.8, 1.0], "synth_table": [0.0, 0.1]}, "max_words": 5,
              "expectations": [{"type": "expect_column_values_to_match_regex", "column": "answer",
                                "regex": "^[0-9]+$", "name": "numeric_answer"}]}
    frame = replace_row(good_frame(store, "sft"), 0, answer="four")
    result = run(store, "sft", frame, metadata={"checks": checks})
    assert failed_names(result) == {"source_mix:synth_chart", "word_count", "numeric_answer"}
    passed = {o.name for o in result.outcomes if o.success}
    assert "source_mix:synth_table" in passed
    # an explicit override wins over the manifest, and skip turns checks off
    relaxed = check_snapshot(store, store.open("sft-test"), {"skip": ["word_count", "numeric_answer"],
                                                              "source_mix": {}})
    assert relaxed.success, relaxed.summary()


def test_bad_checks_config_names_the_field(store):
    info = write_snapshot(store, "sft", good_frame(store, "sft"))
    with pytest.raises(CheckConfigError, match=r"source_mix.*0 <= min <= max <= 1"):
        check_snapshot(store, store.open(info.ref), {"source_mix": {"synth_chart": [0.9, 0.1]}})
    with pytest.raises(CheckConfigError, match="unknown Great Expectations expectation 'expect_nothing'"):
        check_snapshot(store, store.open(info.ref), {"expectations": [{"type": "expect_nothing"}]})
    with pytest.raises(CheckConfigError, match="max_wordz"):
        check_snapshot(store, store.open(info.ref), {"max_wordz": 3})


def test_missing_column_fails_schema_check(store, tmp_path):
    frame = good_frame(store, "grpo")
    info = write_snapshot(store, "grpo", frame)
    snapshot = store.open(info.ref)
    from curation.checks.config import resolve_config
    from curation.checks.runner import check_frame

    result = check_frame(snapshot.scan().drop("pass_rate"), "grpo", resolve_config("grpo", {}), store)
    assert failed_names(result) == {"columns_present"}
    assert "pass_rate" in result.failed[0].message


@pytest.mark.parametrize("batch_rows", [5, 50_000])
def test_rows_counts_every_row_even_without_an_id_column(store, batch_rows):
    """The row count is the rows checked, not the height of the narrow id frame (empty when id is missing)."""
    frame = good_frame(store, "sft").drop("id")
    config = resolve_config("sft", {"unique_pairs": False})  # no pair columns: the table frame has no column
    result = check_frame(frame.lazy(), "sft", config, store, batch_rows=batch_rows)
    assert "columns_present" in failed_names(result)
    assert result.rows == frame.height == 12
