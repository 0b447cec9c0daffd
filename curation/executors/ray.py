"""The Ray executor: batch stages in Ray Data's ``map_batches``, everything recorded on the driver.

The parent snapshot's shards are read with ``ray.data.read_parquet`` (order preserved); each fused group of
batch stages runs in a pool of Ray actors (``map_batches`` with a callable class), which rebuild the stages
from the recipe once, call ``prepare`` (so a stage with per-row Python, like correctness, gets its own bounded
process pool per Ray worker), and turn each Arrow batch into Polars for ``process_batch``. A worker hands back
one row per batch: the kept rows and the rejections (Arrow IPC) and the stage counts. The driver writes them
as shards and rejections in input order and tallies the funnel, so the snapshot is the one the local executor
makes: same content id (the executor is not part of it), same rows in the same order, same rejections and funnel.

Global stages (dedup, select, difficulty) and sources run on the driver as with the local executor, over a
lazy Polars scan that streams (dedup keeps only keys in memory). On a cluster, the store must be on storage
every node can reach (a shared filesystem), because workers read the parent's shards and images from it.
"""

from __future__ import annotations

import importlib
import io
import json
import re
import time
import zlib
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from curation.executors.base import SegmentRun, build_stage
from curation.executors.local import LocalExecutor, StageTally, emit
from curation.faults import faultpoint
from curation.generate.stage import GenerationStage
from curation.progress import progress_bar
from curation.queued_writes import QueuedWriter
from curation.recipe import Recipe, StageSpec
from curation.rows import StageFailed, rejection_frame
from curation.stages.base import Stage

RESULT_SCHEMA = pa.schema([("kept", pa.large_binary()), ("rejected", pa.large_binary()), ("tallies", pa.string())])


def _ipc(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_ipc(buffer, compression="lz4")
    return buffer.getvalue()


def _from_ipc(payload: bytes) -> pl.DataFrame:
    return pl.read_ipc(io.BytesIO(payload))


def replicas(stage: Stage) -> list[str]:
    """Server replicas of a generating stage: its ``base_url`` may list several, comma-separated."""
    if not isinstance(stage, GenerationStage):
        return []
    urls = [u.strip() for u in str(stage.option("base_url") or "").split(",") if u.strip()]
    return urls if len(urls) > 1 else []


class BatchWorker:
    """One Ray actor of a ``map_batches`` pool: the group's stages, built once, applied to each batch.

    A generating stage whose ``base_url`` lists several server replicas gets one instance per replica (each
    with its client and the shared generation cache); a batch goes to the replica its first row id hashes to,
    so the requests of a run spread over every replica whatever the number of actors."""

    def __init__(self, recipe: Recipe, store_root: str, options: dict[str, Any],
                 specs: list[tuple[int, StageSpec]], expected_rows: int | None) -> None:
        from curation.store import Store

        store = Store(store_root)
        self.specs = specs
        self.stages: list[Stage] = [build_stage(recipe, store, options, i, spec, progress=False) for i, spec in specs]
        self.per_replica: dict[int, list[Stage]] = {}
        for position, ((index, spec), stage) in enumerate(zip(specs, self.stages, strict=True)):
            urls = replicas(stage)
            if urls:
                self.per_replica[position] = [build_stage(recipe, store, {**options, f"{spec.name}.base_url": url},
                                                          index, spec, progress=False) for url in urls]
        for stage in [*self.stages, *[copy for group in self.per_replica.values() for copy in group]]:
            stage.prepare(expected_rows)

    def stage_for(self, position: int, batch: pl.DataFrame) -> Stage:
        copies = self.per_replica.get(position)
        if not copies:
            return self.stages[position]
        first = str(batch["id"][0]) if "id" in batch.columns and batch.height else ""
        return copies[zlib.crc32(first.encode()) % len(copies)]

    def __call__(self, table: pa.Table) -> pa.Table:
        batch = pl.from_arrow(table)
        assert isinstance(batch, pl.DataFrame)
        rejected: list[pl.DataFrame] = []

        def reject(rows: pl.DataFrame, stage_index: int, stage: str) -> None:
            rejected.append(rejection_frame(rows, stage_index, stage))

        counts = []
        for position, (index, spec) in enumerate(self.specs):
            tally = StageTally(index, spec)
            started = time.perf_counter()
            tally.rows_in = batch.height
            batch = tally.split(self.stage_for(position, batch).process_batch(batch), reject)
            counts.append({"rows_in": tally.rows_in, "rows_out": tally.rows_out, "reasons": dict(tally.reasons),
                           "seconds": time.perf_counter() - started})
        rejections = pl.concat(rejected, how="vertical") if rejected else None
        return pa.table({"kept": [_ipc(batch)], "rejected": [_ipc(rejections) if rejections is not None else None],
                         "tallies": [json.dumps(counts)]}, schema=RESULT_SCHEMA)

    def __del__(self) -> None:
        copies = [stage for group in getattr(self, "per_replica", {}).values() for stage in group]
        for stage in [*getattr(self, "stages", []), *copies]:
            try:
                stage.close()
            except Exception:  # noqa: BLE001 - an actor going away must not fail on a pool already gone
                pass


_RAISED = re.compile(r"^(?P<cls>curation(?:\.\w+)+): (?P<message>.+)$", re.MULTILINE)


def _stage_failure(exc: BaseException) -> StageFailed | None:
    """The StageFailed a worker raised, out of Ray's wrappers (RayTaskError.cause, __cause__ chains)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, StageFailed):
            return current
        todo.extend([getattr(current, "cause", None), current.__cause__, current.__context__])
    # Ray Data's UserCodeException may arrive without its cause: the worker's traceback text names it
    for match in reversed(list(_RAISED.finditer(str(exc)))):
        module, _, name = match.group("cls").rpartition(".")
        try:
            found = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError, ValueError):
            continue
        if isinstance(found, type) and issubclass(found, StageFailed):
            try:
                return found(match.group("message"))
            except TypeError:
                return StageFailed(match.group("message"))
    return None


class RayExecutor(LocalExecutor):
    """Runs batch stages on a Ray cluster (``address``: ``auto``, ``ray://host:10001``, None = start one here)."""

    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None, actor_cpus: float = 1.0) -> None:
        self.address = address
        self.workers = workers
        self.actor_cpus = actor_cpus  # CPUs Ray reserves per actor (a stage's own process pool may use more)

    def ensure_ray(self) -> Any:
        try:
            import ray
        except ImportError as exc:
            raise StageFailed("the ray executor needs Ray: pip install 'thinkset[distributed]'") from exc
        if not ray.is_initialized():
            ray.init(address=self.address, ignore_reinit_error=True, log_to_driver=False,
                     include_dashboard=False) if self.address is None else ray.init(address=self.address)
        return ray

    def pool_size(self, ray: Any) -> int:
        """Actors of a ``map_batches`` pool: ``workers`` or as many as the cluster has CPUs, always leaving one
        CPU to the read tasks that feed them (with every CPU held by an actor, the reads never run)."""
        spare = max(1, int((ray.cluster_resources().get("CPU", 1) - 1) / self.actor_cpus))
        return min(self.workers, spare) if self.workers else spare

    def run_batches(self, run: SegmentRun, group: list[Stage], tallies: list[StageTally], files: list[Path],
                    writer: QueuedWriter, scratch: Path, last: bool, total: int | None) -> list[Path]:
        if not files:
            return []
        ray = self.ensure_ray()
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True  # rows leave in the order they came: same shards' rows
        context.enable_progress_bars = False
        workers = self.pool_size(ray)
        specs = [(t.index, t.spec) for t in tallies]
        dataset = ray.data.read_parquet([str(f) for f in files]).map_batches(
            BatchWorker, batch_size=run.recipe.batch_rows, batch_format="pyarrow", num_cpus=self.actor_cpus,
            compute=ray.data.ActorPoolStrategy(size=workers),
            fn_constructor_kwargs={"recipe": run.recipe, "store_root": str(run.store.root), "options": run.options,
                                   "specs": specs, "expected_rows": -(-total // workers) if total else None})
        out_files: list[Path] = []
        prefix = scratch / f"{tallies[-1].index:02d}"
        try:
            with progress_bar("+".join(t.spec.name for t in tallies) + " [ray]", total) as advance:
                for block in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
                    for result in block.to_pylist():
                        advance(self._collect(result, tallies, writer))
                        emit(_from_ipc(result["kept"]), last, writer, prefix, out_files)
                        faultpoint("pipeline.batch")
        except Exception as exc:
            failure = _stage_failure(exc)
            if failure is not None and failure is not exc:
                raise failure from None  # the stage's own message, as on one machine (Ray's trace is in its logs)
            raise
        return out_files

    @staticmethod
    def _collect(result: dict[str, Any], tallies: list[StageTally], writer: QueuedWriter) -> int:
        """Tally one worker batch and queue its rejections stage by stage (the local executor's shard order)."""
        counts = json.loads(result["tallies"])
        for tally, count in zip(tallies, counts, strict=True):
            tally.merge(count["rows_in"], count["rows_out"], count["reasons"], count["seconds"])
        if result["rejected"] is not None:
            rejected = _from_ipc(result["rejected"])
            for tally in tallies:
                part = rejected.filter(pl.col("stage_index") == tally.index)
                if part.height:
                    writer.rejections(part)
        return int(counts[0]["rows_in"])
