"""The DuckDB catalog, and the one owner of its SQL: artifacts, lineage edges, funnel counts, rejections, and
the tables features add (check runs, publications, reviews).

Every statement is named and lives in a ``sql/queries_*.sql`` file (``-- name: <statement>`` blocks, named
parameters, named columns); the DDL is ``sql/catalog*.sql``. Features call the methods here, never SQL of
their own. DuckDB lets one process write a file, and a read-only open fails while a writer has it, so
connections are short-lived (one per operation): reads open read-only and retry briefly while a commit holds
the file; every write is one transaction under the store lock (``curation.store.lock``), which writers queue on.
No process keeps the catalog open for a run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from curation.faults import faultpoint
from curation.store.commit import SnapshotCommit
from curation.store.lock import StoreLock
from curation.store.snapshot import SnapshotInfo

SQL_PACKAGE = "sql"  # the top-level sql/ folder, shipped as a package so a wheel install has it
_STATEMENT = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)
LOCK_RETRY_S = 60.0  # how long a connection waits out another process's DuckDB lock (commits take well under 1 s)
LOCK_RETRY_ENV = "THINKSET_CATALOG_WAIT_S"  # overrides LOCK_RETRY_S


class CatalogBusy(RuntimeError):
    """The catalog stayed locked by another process for longer than ``LOCK_RETRY_S``."""


def sql_file(name: str) -> str:
    """Text of a SQL file of the ``sql/`` package (a source checkout or an installed wheel alike)."""
    return resources.files(SQL_PACKAGE).joinpath(name).read_text()


def sql_files(prefix: str) -> list[str]:
    """Names of the package's ``.sql`` files starting with ``prefix``, sorted."""
    return sorted(f.name for f in resources.files(SQL_PACKAGE).iterdir()
                  if f.name.startswith(prefix) and f.name.endswith(".sql"))


def DDL_FILES() -> list[str]:  # noqa: N802 - reads like the constant it is, but features add files
    return ["catalog.sql", *sql_files("catalog_")]


@cache
def ddl_digest() -> str:
    """Hash of every DDL file: a catalog whose recorded digest matches needs no DDL run (and no write lock)."""
    return hashlib.sha256("\n".join(sql_file(name) for name in DDL_FILES()).encode()).hexdigest()[:16]


@cache
def statements() -> dict[str, str]:
    """Every named statement of ``sql/queries_*.sql``; a name defined twice is an error."""
    found: dict[str, str] = {}
    for file in sql_files("queries_"):
        parts = _STATEMENT.split(sql_file(file))
        for name, text in zip(parts[1::2], parts[2::2], strict=True):
            if name in found:
                raise ValueError(f"sql/{file}: statement {name!r} is defined twice")
            found[name] = text.strip().rstrip(";")
    return found


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _json(value: Any) -> str:
    return json.dumps(value, default=str)


class Catalog:
    def __init__(self, path: Path, root: Path | None = None) -> None:
        self.path = Path(path)
        self.root = Path(root) if root is not None else self.path.parent  # relative artifact paths start here
        self.lock = StoreLock(self.path.with_name(self.path.name + ".lock"))
        self._initialised = False

    # -- connections ------------------------------------------------------------
    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection: read-only (never waits for the store lock, retries briefly while a commit
        holds DuckDB's file lock), or read-write under the store lock (``curation.store.lock``)."""
        if read_only:
            con = self._open_for_reading()
            try:
                yield con
            finally:
                con.close()
            return
        self._ensure_schema()
        with self.lock.hold():
            con = self._open(read_only=False)
            try:
                yield con
            finally:
                con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One connection, one transaction, under the store lock: committed when the block ends, rolled back
        when it raises."""
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
                faultpoint("catalog.transaction")
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold the store lock over several steps that must not interleave with another writer's (reentrant)."""
        with self.lock.hold():
            yield

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Open the catalog; while another process holds DuckDB's lock on the file (a reader's shared lock or a
        writer's commit), retry with backoff for up to ``LOCK_RETRY_S`` seconds."""
        patience = float(os.environ.get(LOCK_RETRY_ENV) or LOCK_RETRY_S)
        deadline = time.monotonic() + patience
        delay = 0.005
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise
                if time.monotonic() >= deadline:
                    raise CatalogBusy(f"the catalog {self.path} stayed locked by another process for "
                                      f"{patience:g} s ({exc}); try again when it is done, or wait longer "
                                      f"with {LOCK_RETRY_ENV}") from None
                time.sleep(delay)
                delay = min(delay * 2, 0.25)

    def _open_for_reading(self) -> duckdb.DuckDBPyConnection:
        if not self.path.exists():  # nothing committed yet: an empty catalog, without the lock or a file
            con = duckdb.connect(":memory:")
            for ddl in DDL_FILES():
                con.execute(sql_file(ddl))
            return con
        self._ensure_schema()
        return self._open(read_only=True)

    def _ensure_schema(self) -> None:
        """Apply the DDL once per store version of it: a read-only check, the write lock only when it changed."""
        if self._initialised:
            return
        digest = ddl_digest()
        if self.path.exists():
            con = self._open(read_only=True)
            try:
                current = con.execute(statements()["schema_digest"]).fetchone()
            except duckdb.CatalogException:  # a catalog older than the digest table
                current = None
            finally:
                con.close()
            if current is not None and current[0] == digest:
                self._initialised = True
                return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.lock.hold():
            con = self._open(read_only=False)
            try:
                for ddl in DDL_FILES():
                    con.execute(sql_file(ddl))
                con.execute(statements()["clear_schema_digest"])
                con.execute(statements()["insert_schema_digest"], dict(digest=digest))
            finally:
                con.close()
        self._initialised = True

    def query(self, sql: str, params: list | dict | None = None) -> list[dict[str, Any]]:
        """Rows of an ad-hoc read query as dicts (for CLI tables, reports and tests); a read-only connection."""
        with self.connect(read_only=True) as con:
            return _dicts(con.execute(sql, params or []))

    def _read(self, statement: str, **params: Any) -> list[dict[str, Any]]:
        return self.query(statements()[statement], params)

    # -- artifacts and snapshots -----------------------------------------------------
    def next_version(self, name: str) -> int:
        return int(self._read("next_version", name=name)[0]["version"]) + 1

    def find(self, artifact_id: str) -> SnapshotInfo | None:
        rows = self._read("artifact_by_id", id=artifact_id)
        return self._info(rows[0]) if rows else None

    def find_version(self, name: str, version: int | None = None) -> SnapshotInfo | None:
        """``name@version``, or the latest version of ``name`` when ``version`` is None."""
        rows = self._read("artifact_latest", name=name) if version is None \
            else self._read("artifact_at_version", name=name, version=version)
        return self._info(rows[0]) if rows else None

    def snapshots(self, name: str | None = None) -> list[SnapshotInfo]:
        return [self._info(row) for row in self._read("snapshots", name=name)]

    def artifacts(self, artifact_type: str | None = None) -> list[dict[str, Any]]:
        return self._read("artifacts", artifact_type=artifact_type)

    def lineage(self, artifact_id: str) -> list[dict[str, Any]]:
        """All edges above ``artifact_id`` (its ancestry) and the edges out of it, with names and versions."""
        return self._read("lineage", id=artifact_id)

    def funnel(self, snapshot_id: str) -> list[dict[str, Any]]:
        """Rows in/out and drop reasons per stage of one snapshot (``sql/funnel.sql``, readable by hand)."""
        return self.query(sql_file("funnel.sql"), [snapshot_id])

    def _relative(self, path: Path) -> str:
        try:
            return str(Path(path).relative_to(self.root))
        except ValueError:
            return str(path)

    def _info(self, row: dict[str, Any]) -> SnapshotInfo:
        parents = [r["src_id"] for r in self._read("parent_ids", id=row["id"])]
        path = Path(row["path"])
        return SnapshotInfo(id=row["id"], name=row["name"], version=row["version"], kind=row["kind"],
                            rows=row["rows"] or 0, path=path if path.is_absolute() else self.root / path,
                            created_at=row["created_at"], code_version=row["code_version"] or "", parents=parents)

    def commit_snapshot(self, commit: SnapshotCommit) -> None:
        """List a snapshot whose files are in place: its artifact, edges, funnel and rejections, one transaction."""
        s = statements()
        with self.transaction() as con:
            con.execute(s["insert_artifact"], dict(
                id=commit.id, name=commit.name, version=commit.version, kind=commit.kind, artifact_type="snapshot",
                path=self._relative(commit.path), rows=commit.rows, code_version=commit.code_version,
                created_at=commit.created_at, manifest=commit.manifest_json))
            for parent in commit.parents:
                con.execute(s["insert_edge"], dict(src_id=parent, dst_id=commit.id, kind=commit.edge_kind,
                                                   detail=commit.edge_detail_json, created_at=commit.created_at))
            for f in commit.funnel:
                con.execute(s["insert_funnel"], dict(
                    snapshot_id=commit.id, stage_index=f.stage_index, stage=f.stage, stage_type=f.stage_type,
                    rows_in=f.rows_in, rows_out=f.rows_out, seconds=f.seconds))
            for r in commit.reasons:
                con.execute(s["insert_funnel_reason"], dict(snapshot_id=commit.id, stage_index=r.stage_index,
                                                            stage=r.stage, reason=r.reason, rows=r.rows))
            if commit.rejection_files:
                con.execute(s["insert_rejections"], dict(snapshot_id=commit.id, files=list(commit.rejection_files)))

    def insert_artifact(self, *, artifact_id: str, name: str, version: int, kind: str, artifact_type: str,
                        path: str, code_version: str, created_at: datetime, metadata: dict[str, Any],
                        edges: list[tuple[str, str]]) -> None:
        """A non-snapshot artifact (a model, a review) with edges (parent_id, edge_kind) into it."""
        s = statements()
        with self.transaction() as con:
            con.execute(s["insert_artifact"], dict(
                id=artifact_id, name=name, version=version, kind=kind, artifact_type=artifact_type, path=path,
                rows=None, code_version=code_version, created_at=created_at, manifest=_json(metadata)))
            for parent, edge_kind in edges:
                con.execute(s["insert_edge"], dict(src_id=parent, dst_id=artifact_id, kind=edge_kind, detail=None,
                                                   created_at=created_at))

    def artifact(self, artifact_id: str) -> dict[str, Any] | None:
        """The catalog row of an artifact (artifact_type, kind, manifest, ...), or None."""
        rows = self._read("artifact_by_id", id=artifact_id)
        return rows[0] if rows else None

    def edges_into(self, artifact_ids: list[str]) -> list[dict[str, Any]]:
        """Edges (src_id, dst_id, kind, detail as a dict) into any of ``artifact_ids``."""
        rows = self._read("edges_into", ids=list(artifact_ids))
        return [{**row, "detail": json.loads(row["detail"]) if isinstance(row["detail"], str) else row["detail"]}
                for row in rows]

    def rejection_count(self, snapshot_id: str) -> int:
        """Rows a snapshot's run dropped (quarantined, for a pool), from the catalog's rejections table."""
        return int(self._read("rejection_count", snapshot_id=snapshot_id)[0]["rows"])

    def add_edge(self, src_id: str, dst_id: str, kind: str, detail: dict[str, Any] | None = None) -> None:
        with self.transaction() as con:
            con.execute(statements()["insert_edge"], dict(src_id=src_id, dst_id=dst_id, kind=kind,
                                                          detail=json.dumps(detail or {}), created_at=_now()))

    # -- checks (sql/catalog_checks.sql) -------------------------------------------
    def save_check_run(self, run: dict[str, Any], outcomes: list[dict[str, Any]]) -> None:
        """A check run (columns of ``check_runs``) and its outcomes (columns of ``check_outcomes``)."""
        s = statements()
        with self.transaction() as con:
            con.execute(s["insert_check_run"], run)
            for outcome in outcomes:
                con.execute(s["insert_check_outcome"], outcome)

    def latest_check_run(self, snapshot_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """The most recent check run of a snapshot with its outcomes in order, or None."""
        runs = self._read("latest_check_run", snapshot_id=snapshot_id)
        if not runs:
            return None
        return runs[0], self._read("check_outcomes", run_id=runs[0]["run_id"])

    # -- publications (sql/catalog_publish.sql) --------------------------------------
    def record_publication(self, publication: dict[str, Any]) -> None:
        """One upload (columns of ``publications``; ``published_at`` defaults to now)."""
        with self.transaction() as con:
            con.execute(statements()["insert_publication"], {"published_at": _now(), **publication})

    # -- reviews (sql/catalog_review.sql) ---------------------------------------------
    def reviews_of(self, snapshot_id: str) -> list[dict[str, Any]]:
        return self._read("reviews_of_snapshot", snapshot_id=snapshot_id)

    def insert_review(self, review: dict[str, Any]) -> None:
        with self.transaction() as con:
            con.execute(statements()["insert_review"], {"created_at": _now(), **review})

    def record_review_push(self, push: dict[str, Any], items: list[dict[str, Any]]) -> None:
        """A push (columns of ``review_pushes``) and its rows; a row already listed for the review stays as it was."""
        s = statements()
        with self.transaction() as con:
            con.execute(s["insert_review_push"], {"pushed_at": _now(), **push})
            for item in items:
                con.execute(s["insert_review_item"], item)

    def review_summary(self, snapshot_ids: list[str]) -> list[dict[str, Any]]:
        """Reviewer decisions per reviewed snapshot among ``snapshot_ids`` (accepted, rejected, quality, ...)."""
        return self._read("review_summary", snapshot_ids=list(snapshot_ids)) if snapshot_ids else []

    def review_items(self, review_id: str) -> list[dict[str, Any]]:
        return self._read("review_items", review_id=review_id)

    def review_responses(self, review_id: str) -> list[dict[str, Any]]:
        return self._read("review_responses", review_id=review_id)

    def replace_review_responses(self, review_id: str, responses: list[dict[str, Any]]) -> None:
        """Make the catalog hold exactly ``responses`` (columns of ``review_responses``) for this review."""
        s = statements()
        with self.transaction() as con:
            con.execute(s["delete_review_responses"], dict(review_id=review_id))
            for response in responses:
                con.execute(s["insert_review_response"], response)

    # -- evals (sql/catalog_eval.sql) -----------------------------------------------------
    def save_eval(self, artifact: dict[str, Any], edges: list[tuple[str, str, str]], run: dict[str, Any],
                  scores: list[dict[str, Any]]) -> bool:
        """An eval artifact (columns of ``artifacts``), its edges (src, kind, detail JSON), its run (columns of
        ``eval_runs``) and figures (``eval_scores``), one transaction; False when its eval_key is already listed."""
        s = statements()
        with self.transaction() as con:
            if con.execute(s["eval_by_key"], dict(eval_key=run["eval_key"])).fetchone():
                return False
            con.execute(s["insert_artifact"], artifact)
            for src_id, kind, detail in edges:
                con.execute(s["insert_edge"], dict(src_id=src_id, dst_id=artifact["id"], kind=kind, detail=detail,
                                                   created_at=artifact["created_at"]))
            con.execute(s["insert_eval_run"], run)
            for score in scores:
                con.execute(s["insert_eval_score"], score)
        return True

    def eval_by_key(self, eval_key: str) -> dict[str, Any] | None:
        rows = self._read("eval_by_key", eval_key=eval_key)
        return rows[0] if rows else None

    def eval_by_id(self, eval_id: str) -> dict[str, Any] | None:
        rows = self._read("eval_by_id", eval_id=eval_id)
        return rows[0] if rows else None

    def evals(self) -> list[dict[str, Any]]:
        return self._read("evals")

    def evals_named(self, name: str, version: int | None = None) -> list[dict[str, Any]]:
        return self._read("evals_named", name=name, version=version)

    def evals_of_model(self, model_identity: str) -> list[dict[str, Any]]:
        return self._read("evals_of_model", model_identity=model_identity)

    def model_artifact(self, *, path: str | None = None, artifact_id: str | None = None) -> dict[str, Any] | None:
        """The newest model artifact saved at ``path``, or the model artifact ``artifact_id``."""
        rows = self._read("model_artifact_by_path", path=path) if path is not None \
            else self._read("model_artifact_by_id", id=artifact_id)
        return rows[0] if rows else None

    # -- loops (sql/catalog_loops.sql) ------------------------------------------------
    def save_loop(self, name: str, recipe_path: str | None, recipe_digest: str, config: dict[str, Any]) -> None:
        with self.transaction() as con:
            con.execute(statements()["upsert_loop"], dict(name=name, recipe_path=recipe_path,
                                                         recipe_digest=recipe_digest, config=_json(config), now=_now()))

    def loop(self, name: str) -> dict[str, Any] | None:
        rows = self._read("loop_by_name", name=name)
        return rows[0] if rows else None

    def loop_names(self) -> list[str]:
        return [row["name"] for row in self._read("loop_names")]

    def add_loop_event(self, loop: str, iteration: int, step: str, event: str, step_key: str,
                       detail: dict[str, Any] | None = None) -> None:
        with self.transaction() as con:
            con.execute(statements()["insert_loop_event"], dict(loop=loop, iteration=iteration, step=step, event=event,
                                                               step_key=step_key, event_at=_now(),
                                                               detail=_json(detail or {})))

    def save_loop_step(self, step: dict[str, Any], event: str) -> None:
        """A step's row (columns of ``loop_steps``; JSON ``detail``) and its event, in one transaction."""
        s = statements()
        with self.transaction() as con:
            con.execute(s["upsert_loop_step"], {**step, "detail": _json(step.get("detail") or {})})
            con.execute(s["insert_loop_event"], dict(loop=step["loop"], iteration=step["iteration"], step=step["step"],
                                                    event=event, step_key=step["step_key"], event_at=_now(),
                                                    detail=_json({"artifact_id": step.get("artifact_id")})))

    def loop_step(self, loop: str, iteration: int, step: str) -> dict[str, Any] | None:
        rows = self._read("loop_step", loop=loop, iteration=iteration, step=step)
        return rows[0] if rows else None

    def loop_steps(self, loop: str) -> list[dict[str, Any]]:
        return self._read("loop_steps", loop=loop)

    def loop_events(self, loop: str, event: str | None = None) -> list[dict[str, Any]]:
        return self._read("loop_events", loop=loop, event=event)


def _dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description] if cursor.description else []
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
