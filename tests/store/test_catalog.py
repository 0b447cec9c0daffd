"""The catalog owns every statement: named, valid against the DDL, and each write is one transaction."""

from __future__ import annotations

import dataclasses
import re

import duckdb
import polars as pl
import pytest

from curation.rows import rejection_frame
from curation.store import catalog as catalog_module
from curation.store.catalog import sql_file, sql_files, statements
from curation.store.commit import FunnelCount, SnapshotCommit
from tests.conftest import pool_frame


def test_every_statement_binds_against_the_catalog_tables(store):
    found = statements()
    assert {"insert_artifact", "insert_check_run", "insert_publication", "insert_review_item", "lineage"} <= set(found)
    with store.catalog.connect() as con:
        for name, text in found.items():
            try:  # binding checks every table and named column without running the statement
                con.execute(f"PREPARE check_{name} AS {text}")
            except duckdb.Error as exc:
                pytest.fail(f"statement {name!r} does not bind: {exc}")


def test_inserts_name_their_columns():
    for name, text in statements().items():
        if text.lstrip().upper().startswith("INSERT"):
            assert re.search(r"INSERT (OR IGNORE )?INTO \w+ \(", text), f"{name}: name the columns"
            assert "?" not in text, f"{name}: use named parameters"


def test_sql_is_read_as_package_data():
    assert "CREATE TABLE IF NOT EXISTS artifacts" in sql_file("catalog.sql")
    assert {"catalog_checks.sql", "catalog_publish.sql", "catalog_review.sql"} <= set(sql_files("catalog_"))


def test_a_failure_inside_the_commit_transaction_lists_nothing(store, monkeypatch):
    writer = store.writer("pool-tx", "pool", config={"n": 2})
    writer.write(pool_frame(store, 2))
    writer.add_funnel(0, "source", "synthetic_pool", 2, 2)
    real_commit = store.catalog.commit_snapshot

    def broken_funnel(commit: SnapshotCommit) -> None:  # the artifact and edge rows go in before the funnel
        bad = FunnelCount(0, "source", "synthetic_pool", rows_in=None, rows_out=2)  # type: ignore[arg-type]
        real_commit(dataclasses.replace(commit, funnel=(bad,)))

    monkeypatch.setattr(store.catalog, "commit_snapshot", broken_funnel)
    with pytest.raises(duckdb.ConstraintException):
        writer.commit()
    assert store.catalog.artifacts() == [] and store.catalog.query("SELECT * FROM edges") == []


def test_commit_record_is_immutable_and_lists_rejections(store, monkeypatch):
    seen: list[SnapshotCommit] = []
    monkeypatch.setattr("curation.store.writer.before_catalog_commit", seen.append)
    frame = pool_frame(store, 3)
    dropped = frame.head(1).with_columns(pl.lit(False).alias("_keep"), pl.lit("too_long").alias("_reason"),
                                         pl.lit("612 words").alias("_detail"))
    with store.writer("pool-rec", "pool", config={"n": 3}) as writer:
        writer.write(frame.tail(2))
        writer.add_rejections(rejection_frame(dropped, 1, "length"))
        writer.add_funnel(1, "length", "length", 3, 2, {"too_long": 1})
    [commit] = seen
    with pytest.raises(dataclasses.FrozenInstanceError):
        commit.rows = 0  # type: ignore[misc]
    assert commit.rows == 2 and commit.version == 1 and len(commit.rejection_files) == 1
    assert store.catalog.query("SELECT reason, detail FROM rejections") == [{"reason": "too_long",
                                                                              "detail": "612 words"}]
    assert store.catalog.funnel(commit.id)[0]["reasons"] == "too_long=1"


def test_a_statement_defined_twice_is_refused(monkeypatch):
    monkeypatch.setattr(catalog_module, "sql_files", lambda prefix: ["a.sql", "b.sql"])
    monkeypatch.setattr(catalog_module, "sql_file", lambda name: "-- name: same\nSELECT 1;\n")
    statements.cache_clear()
    try:
        with pytest.raises(ValueError, match="'same' is defined twice"):
            statements()
    finally:
        statements.cache_clear()


def test_review_summary_counts_decisions_of_the_listed_snapshots(store, make_pool):
    pool = make_pool(3)
    catalog = store.catalog
    catalog.insert_review(dict(review_id="r1", snapshot_id=pool.id, workspace="w", dataset="d", api_url="http://x"))
    responses = [("a", "u1", "accept", 5, None), ("a", "u2", "reject", 1, "7"), ("b", "u1", "accept", 4, "")]
    catalog.replace_review_responses("r1", [dict(review_id="r1", row_id=row, reviewer=user, status="submitted",
                                                 decision=decision, quality=quality, corrected_answer=answer,
                                                 note=None) for row, user, decision, quality, answer in responses])
    [summary] = catalog.review_summary([pool.id, "not-reviewed"])
    assert summary == {"snapshot": "pool-test@v1", "dataset": "d", "rows_reviewed": 2, "reviewers": 2,
                       "accepted": 2, "rejected": 1, "mean_quality": 3.33, "corrected": 1}
    assert catalog.review_summary([]) == [] and catalog.review_summary(["not-reviewed"]) == []
    assert catalog.rejection_count(pool.id) == 0
