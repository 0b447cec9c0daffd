"""Where a loop stands, kept in the store's catalog (tables in sql/catalog_loops.sql).

The artifacts are the truth: a step is done when its output artifact exists for
the same inputs. These rows add what the artifacts do not say: which loop step
made which artifact, when, and how often each step started (a killed training
run shows as a start without a finish; ``trainer_run`` events count real runs).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from curation.store import Store


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class LoopState:
    def __init__(self, store: Store, loop: str) -> None:
        self.catalog, self.loop = store.catalog, loop

    def register(self, recipe_path: str | None, digest: str, config: dict[str, Any]) -> None:
        self.catalog.save_loop(self.loop, recipe_path, digest, config)

    def event(self, iteration: int, step: str, event: str, step_key: str,
              detail: dict[str, Any] | None = None) -> None:
        self.catalog.add_loop_event(self.loop, iteration, step, event, step_key, detail)

    def started(self, iteration: int, step: str, step_key: str) -> datetime:
        started_at = now()
        previous = self.step(iteration, step)
        if previous is None or previous["status"] != "done":
            self.catalog.save_loop_step(self._row(iteration, step, step_key, "running", started_at=started_at),
                                        "started")
        else:  # keep the finished row until the step finishes again (a resumed or repeated run)
            self.event(iteration, step, "started", step_key)
        return started_at

    def finished(self, iteration: int, step: str, step_key: str, *, artifact_id: str, artifact_ref: str,
                 started_at: datetime, skipped: bool, detail: dict[str, Any] | None = None) -> None:
        previous = self.step(iteration, step)
        if skipped and previous and previous["status"] == "done" and previous["artifact_id"] == artifact_id:
            self.event(iteration, step, "skipped", step_key, {"artifact_id": artifact_id})
            return  # keep the time of the run that made it
        finished_at = now()
        row = self._row(iteration, step, step_key, "done", started_at=started_at, finished_at=finished_at,
                        artifact_id=artifact_id, artifact_ref=artifact_ref, detail=detail,
                        seconds=round((finished_at - started_at).total_seconds(), 3))
        self.catalog.save_loop_step(row, "skipped" if skipped else "finished")

    def _row(self, iteration: int, step: str, step_key: str, status: str, **fields: Any) -> dict[str, Any]:
        return {"loop": self.loop, "iteration": iteration, "step": step, "status": status, "step_key": step_key,
                "artifact_id": None, "artifact_ref": None, "started_at": None, "finished_at": None,
                "seconds": None, "detail": None, **fields}

    def step(self, iteration: int, step: str) -> dict[str, Any] | None:
        return self.catalog.loop_step(self.loop, iteration, step)

    def steps(self) -> list[dict[str, Any]]:
        return self.catalog.loop_steps(self.loop)

    def events(self, event: str | None = None) -> list[dict[str, Any]]:
        return self.catalog.loop_events(self.loop, event)

    def exists(self) -> bool:
        return self.catalog.loop(self.loop) is not None
