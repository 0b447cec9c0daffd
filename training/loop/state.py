"""Where a loop stands, kept in the store's catalog (tables in sql/catalog_loops.sql).

The artifacts are the truth: a step is done when its output artifact exists for
the same step key. These rows add what the artifacts do not say: which loop
step made which artifact, when, and how often each step started (a killed
training run shows as a start without a finish).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from curation.store import Store


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class LoopState:
    def __init__(self, store: Store, loop: str) -> None:
        self.store, self.loop = store, loop

    def register(self, recipe_path: str | None, digest: str, config: dict[str, Any]) -> None:
        with self.store.catalog.connect() as con:
            con.execute("INSERT INTO loops VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                        "recipe_path = excluded.recipe_path, recipe_digest = excluded.recipe_digest, "
                        "config = excluded.config, updated_at = excluded.updated_at",
                        [self.loop, recipe_path, digest, json.dumps(config, default=str), now(), now()])

    def event(self, iteration: int, step: str, event: str, step_key: str,
              detail: dict[str, Any] | None = None) -> None:
        with self.store.catalog.connect() as con:
            con.execute("INSERT INTO loop_events VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [self.loop, iteration, step, event, step_key, now(), json.dumps(detail or {}, default=str)])

    def started(self, iteration: int, step: str, step_key: str) -> datetime:
        started_at = now()
        with self.store.catalog.connect() as con:
            con.execute("INSERT OR REPLACE INTO loop_steps VALUES (?, ?, ?, 'running', ?, NULL, NULL, ?, NULL, "
                        "NULL, NULL)", [self.loop, iteration, step, step_key, started_at])
        self.event(iteration, step, "started", step_key)
        return started_at

    def finished(self, iteration: int, step: str, step_key: str, *, artifact_id: str, artifact_ref: str,
                 started_at: datetime | None, skipped: bool = False, detail: dict[str, Any] | None = None) -> None:
        finished_at = now()
        seconds = (finished_at - started_at).total_seconds() if started_at else None
        previous = self.step(iteration, step)
        if skipped and previous and previous["status"] == "done" and previous["artifact_id"] == artifact_id:
            self.event(iteration, step, "skipped", step_key, {"artifact_id": artifact_id})
            return  # keep the time of the run that made it
        with self.store.catalog.connect() as con:
            con.execute("INSERT OR REPLACE INTO loop_steps VALUES (?, ?, ?, 'done', ?, ?, ?, ?, ?, ?, ?)",
                        [self.loop, iteration, step, step_key, artifact_id, artifact_ref, started_at or finished_at,
                         finished_at, seconds, json.dumps(detail or {}, default=str)])
        self.event(iteration, step, "skipped" if skipped else "finished", step_key, {"artifact_id": artifact_id})

    def step(self, iteration: int, step: str) -> dict[str, Any] | None:
        rows = self.store.catalog.query("SELECT * FROM loop_steps WHERE loop = ? AND iteration = ? AND step = ?",
                                        [self.loop, iteration, step])
        return rows[0] if rows else None

    def steps(self) -> list[dict[str, Any]]:
        return self.store.catalog.query("SELECT * FROM loop_steps WHERE loop = ? ORDER BY iteration, started_at",
                                        [self.loop])

    def events(self, event: str | None = None) -> list[dict[str, Any]]:
        sql, params = "SELECT * FROM loop_events WHERE loop = ?", [self.loop]
        if event:
            sql, params = sql + " AND event = ?", [*params, event]
        return self.store.catalog.query(sql + " ORDER BY event_at", params)

    def exists(self) -> bool:
        return bool(self.store.catalog.query("SELECT 1 FROM loops WHERE name = ?", [self.loop]))
