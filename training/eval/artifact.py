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
from typing import Any

import polars as pl

from curation import __version__
from curation.schema import row_id
from curation.stages.code_identity import code_modules
from curation.store import Store
from training.eval.result import EvalResult, GroupScore


def scoring_digest() -> str:
    """Identity of the scoring code: the scorers' modules and the ``curation.verify`` modules they import
    (the stages' code-identity rule), so changing how answers are extracted or compared makes new evals."""
    from training.eval.mathvision import score_mathvision
    from training.eval.mathvista import score_mathvista
    from training.eval.score import score_response

    modules: dict[str, str] = {}
    for scorer in (score_response, score_mathvista, score_mathvision):
        modules.update(code_modules(scorer))  # type: ignore[arg-type]  # reads only its __module__
    digest = hashlib.sha256()
    for name, source_digest in sorted(modules.items()):
        digest.update(f"{name}\x1f{source_digest}\x1e".encode())
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
    row = store.catalog.eval_by_key(key)
    return _loaded(store, row, reused=True) if row else None


def load_eval(store: Store, eval_id: str) -> EvalResult:
    row = store.catalog.eval_by_id(eval_id)
    if row is None:
        raise LookupError(f"no eval {eval_id!r} in store {store.root}; see `thinkset eval --list`")
    return _loaded(store, row, reused=True)


def list_evals(store: Store) -> list[dict[str, Any]]:
    return store.catalog.evals()


def _score_rows(result: EvalResult) -> list[dict[str, Any]]:
    def rows(dimension: str, value: str, group: GroupScore) -> list[dict[str, Any]]:
        return [{"eval_id": result.artifact_id, "dimension": dimension, "value": value, "metric": f"pass@{j}",
                 "n": group.n, "score": score, "ci_low": group.ci95[0] if j == 1 else None,
                 "ci_high": group.ci95[1] if j == 1 else None} for j, score in group.pass_at_k.items()]

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
    with store.catalog.write_lock():  # the version read and its insert, with no other writer in between
        return _register(store, result, rows, key, model_identity, base_name, relative)


def _register(store: Store, result: EvalResult, rows: pl.DataFrame, key: str, model_identity: str, base_name: str,
              relative: str) -> EvalResult:
    version = store.catalog.next_version(base_name)
    result.name = f"{base_name}@v{version}"
    created_at = datetime.now(UTC).replace(tzinfo=None)
    payload = json.dumps({k: v for k, v in result.to_json().items() if k not in ("reused", "warnings")}, default=str)
    detail = json.dumps({"eval_key": key})
    edges = [(result.snapshot_id, "evaluated_on", detail)] + (
        [(result.model_id, "evaluated", detail)] if result.model_id else [])
    artifact = dict(id=result.artifact_id, name=base_name, version=version, kind="eval", artifact_type="eval",
                    path=relative, rows=rows.height, code_version=__version__, created_at=created_at, manifest=payload)
    run = dict(eval_id=result.artifact_id, eval_key=key, model_ref=result.model, model_identity=model_identity,
               model_id=result.model_id, snapshot_id=result.snapshot_id, snapshot_ref=result.snapshot,
               backend=result.backend, sampling=result.sampling, mode=result.mode, k=result.k, style=result.style,
               n=result.n, accuracy=result.accuracy, ci_low=result.ci95[0], ci_high=result.ci95[1],
               rows_path=relative, result=payload, created_at=created_at)
    if not store.catalog.save_eval(artifact, edges, run, _score_rows(result)):
        return find_eval(store, key) or result
    return result
