"""An eval as a catalog artifact: its content key, its per-row parquet, its figures, its edges.

The eval's id is the hash of its content key (model identity, snapshot id,
backend, sampling, k, limit, style, mode, scoring code), so running the same
eval again finds the existing artifact and returns it without generating or
scoring anything. The artifact, its edges (``evaluated_on`` from the snapshot,
``evaluated`` from a registered model) and its figures (sql/catalog_eval.sql)
are committed in one transaction after the rows are durable.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from curation import __version__
from curation.schema import row_id
from curation.store import Store
from training.eval.result import EvalResult, GroupScore

# Changing how answers are extracted or compared changes what an eval measures: it is part of the key.
SCORING_SOURCES = [Path(__file__).with_name(n) for n in ("score.py", "mathvista.py", "mathvision.py")] + sorted(
    (Path(__file__).resolve().parents[2] / "curation" / "verify").glob("*.py"))


def scoring_digest() -> str:
    digest = hashlib.sha256()
    for path in SCORING_SOURCES:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def eval_key(config: dict[str, Any]) -> str:
    return row_id("eval", config, __version__, scoring_digest())


def eval_name(model_name: str, snapshot_name: str) -> str:
    """Catalog name of an eval, e.g. ``eval-sft-iter1-v2-on-mathvista``."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", model_name).strip("-.") or "model"
    return f"eval-{slug}-on-{snapshot_name}"


def _loaded(store: Store, row: dict[str, Any], reused: bool) -> EvalResult:
    result = EvalResult.from_json(json.loads(row["result"]))
    result.rows_path = str(store.root / row["rows_path"])
    result.reused = reused
    result.warnings = []
    return result


def find_eval(store: Store, key: str) -> EvalResult | None:
    """The eval with content key ``key``, or None."""
    rows = store.catalog.query("SELECT result, rows_path FROM eval_runs WHERE eval_key = ?", [key])
    return _loaded(store, rows[0], reused=True) if rows else None


def load_eval(store: Store, eval_id: str) -> EvalResult:
    rows = store.catalog.query("SELECT result, rows_path FROM eval_runs WHERE eval_id = ?", [eval_id])
    if not rows:
        raise LookupError(f"no eval {eval_id!r} in store {store.root}; see `thinkset eval --list`")
    return _loaded(store, rows[0], reused=True)


def list_evals(store: Store) -> list[dict[str, Any]]:
    return store.catalog.query(
        "SELECT r.eval_id, a.name, a.version, r.model_ref, r.snapshot_ref, r.backend, r.k, r.style, r.n, "
        "r.accuracy, r.ci_low, r.ci_high, r.created_at FROM eval_runs r JOIN artifacts a ON a.id = r.eval_id "
        "ORDER BY r.created_at")


def _score_rows(result: EvalResult) -> list[list[Any]]:
    def rows(dimension: str, value: str, group: GroupScore) -> list[list[Any]]:
        out = []
        for j, score in group.pass_at_k.items():
            interval = group.ci95 if j == 1 else (None, None)
            out.append([result.artifact_id, dimension, value, f"pass@{j}", group.n, score, *interval])
        return out

    out = rows("overall", "", result.overall)
    for source, group in result.by_source.items():
        out += rows("source", source, group)
    for category, group in result.by_category.items():
        out += rows("category", category, group)
    return out


def save_eval(store: Store, result: EvalResult, key: str, rows: pl.DataFrame, *, model_identity: str) -> EvalResult:
    """Write the rows, then register the eval with its edges and figures; returns it with id and name set.

    Two processes finishing the same eval at once: the second finds the first's and returns that one.
    """
    result.artifact_id = row_id("eval", key)
    folder = store.root / "evals" / result.artifact_id
    folder.mkdir(parents=True, exist_ok=True)
    rows_path = folder / "rows.parquet"
    partial = folder / f"rows.{os.getpid()}.tmp"
    rows.write_parquet(partial, compression="zstd")
    os.replace(partial, rows_path)
    result.rows_path = str(rows_path)
    relative = str(rows_path.relative_to(store.root))
    base_name = eval_name(result.model, result.snapshot.split("@")[0])
    created_at = datetime.now(UTC).replace(tzinfo=None)
    edges = [(result.snapshot_id, "evaluated_on")] + ([(result.model_id, "evaluated")] if result.model_id else [])
    with store.catalog.connect() as con:
        con.execute("BEGIN TRANSACTION")
        try:
            if con.execute("SELECT 1 FROM eval_runs WHERE eval_key = ?", [key]).fetchone():
                con.execute("ROLLBACK")
                con.close()
                return find_eval(store, key) or result
            version = con.execute("SELECT coalesce(max(version), 0) + 1 FROM artifacts WHERE name = ?",
                                  [base_name]).fetchone()[0]
            result.name = f"{base_name}@v{version}"
            payload = json.dumps({k: v for k, v in result.to_json().items()
                                  if k not in ("reused", "warnings")}, default=str)
            con.execute("INSERT INTO artifacts VALUES (?, ?, ?, 'eval', 'eval', ?, ?, ?, ?, ?)",
                        [result.artifact_id, base_name, version, relative, rows.height, __version__, created_at,
                         payload])
            for parent, kind in edges:
                con.execute("INSERT INTO edges VALUES (?, ?, ?, ?, ?)",
                            [parent, result.artifact_id, kind, json.dumps({"eval_key": key}), created_at])
            con.execute("INSERT INTO eval_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                result.artifact_id, key, result.model, model_identity, result.model_id, result.snapshot_id,
                result.snapshot, result.backend, result.sampling, result.mode, result.k, result.style, result.n,
                result.accuracy, result.ci95[0], result.ci95[1], relative, payload, created_at])
            con.executemany("INSERT INTO eval_scores VALUES (?, ?, ?, ?, ?, ?, ?, ?)", _score_rows(result))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return result
