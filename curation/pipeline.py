"""Run a recipe: stream a snapshot's shards through its stages and write the next snapshot(s).

Consecutive batch stages are fused and run batch by batch (memory bounded by
``batch_rows``); a global stage (dedup, select) gets a lazy scan of everything
before it and Polars streams it. Every dropped row lands in the rejections with
its stage and reason, and every stage's in/out counts in the funnel.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from curation.faults import faultpoint
from curation.progress import progress_bar
from curation.queued_writes import QueuedWriter
from curation.recipe import Recipe, RecipeError, StageSpec
from curation.rows import KEEP, REASON, RESERVED_COLUMNS, StageFailed
from curation.schema import SCHEMAS
from curation.stages.base import SourceStage, Stage, StageContext
from curation.store import SnapshotInfo, SnapshotNotFound, SnapshotWriter, Store
from curation.store.writer import temp_name

EDGE_PRIORITY = ("generated_by", "selected_with", "reviewed_in", "filtered_from")


@dataclass
class Segment:
    """Stages between two written snapshots."""

    output: str
    specs: list[tuple[int, StageSpec]]


@dataclass
class RunResult:
    snapshots: list[SnapshotInfo] = field(default_factory=list)  # written by this run
    reused: list[SnapshotInfo] = field(default_factory=list)  # already up to date
    in_order: list[SnapshotInfo] = field(default_factory=list)  # both, in recipe order

    @property
    def final(self) -> SnapshotInfo:
        return self.in_order[-1]


def segments_of(recipe: Recipe) -> list[Segment]:
    segments, current = [], []
    for index, spec in enumerate(recipe.stages):
        current.append((index, spec))
        if spec.output and index < len(recipe.stages) - 1:
            segments.append(Segment(spec.output, current))
            current = []
    segments.append(Segment(recipe.output, current))
    return segments


def iter_batches(files: list[Path], batch_rows: int) -> Iterator[pl.DataFrame]:
    """The rows of ``files`` in order, ``batch_rows`` at a time (memory bounded by one batch)."""
    for file in files:
        rows = pq.ParquetFile(file).metadata.num_rows
        for offset in range(0, rows, batch_rows):
            # Polars' reader decodes only the pages of the slice; several times faster and leaner
            # than pyarrow's iter_batches + from_arrow next to the stages' Polars work
            yield pl.scan_parquet(file).slice(offset, batch_rows).collect()


class StageTally:
    def __init__(self, index: int, spec: StageSpec) -> None:
        self.index, self.spec = index, spec
        self.rows_in = self.rows_out = 0
        self.reasons: Counter[str] = Counter()
        self.seconds = 0.0

    def split(self, out: pl.DataFrame, writer: QueuedWriter) -> pl.DataFrame:
        """Route dropped rows to the rejections; return the kept rows without reserved columns."""
        if KEEP not in out.columns:
            self.rows_out += out.height
            return out.drop([c for c in RESERVED_COLUMNS if c in out.columns])
        keep = out[KEEP].fill_null(False)
        rejected = out.filter(~keep)
        if rejected.height:
            self.reasons.update(rejected[REASON].fill_null("dropped").to_list())
            writer.reject(rejected, self.index, self.spec.name)
        kept = out.filter(keep).drop([c for c in RESERVED_COLUMNS if c in out.columns])
        self.rows_out += kept.height
        return kept

    def check_accounted(self) -> None:
        """Every row in is kept, rejected with a reason, or expanded into more rows; none vanishes."""
        lost = self.rows_in - self.rows_out - sum(self.reasons.values())
        if lost > 0:
            raise StageFailed(f"stage {self.spec.name!r} ({self.spec.type}) lost {lost} of {self.rows_in} rows "
                              "without a reason: a stage must mark dropped rows with _keep=False and a _reason")


class Pipeline:
    def __init__(self, recipe: Recipe, store: Store, options: dict[str, Any] | None = None) -> None:
        self.recipe = recipe
        self.store = store
        self.options = {**recipe.options, **{k: v for k, v in (options or {}).items() if v is not None}}

    # -- planning -----------------------------------------------------------
    def resolve_input(self) -> SnapshotInfo | None:
        if self.recipe.input is None:
            return None
        try:
            return self.store.resolve(self.recipe.input)
        except SnapshotNotFound as exc:
            raise RecipeError(f"{self.recipe.path}: input: {exc}") from None

    def make_stage(self, index: int, spec: StageSpec) -> Stage:
        work_dir = self.store.root / "work" / self.recipe.name / f"{index:02d}-{spec.name}"
        ctx = StageContext(store=self.store, stage_index=index, stage_name=spec.name, work_dir=work_dir,
                           options=self.options, seed=self.recipe.seed, progress=progress_bar)
        return spec.stage_class(spec.params, ctx)

    @staticmethod
    def output_kind(parent_kind: str | None, stages: list[Stage]) -> str:
        kind = parent_kind
        for stage in stages:
            kind = stage.output_kind or kind
        if kind is None:
            raise RecipeError("cannot tell the snapshot kind: the first stage is not a source")
        return kind

    # -- running ------------------------------------------------------------
    def run(self) -> RunResult:
        parent = self.resolve_input()
        result = RunResult()
        for segment in segments_of(self.recipe):
            stages = [self.make_stage(i, spec) for i, spec in segment.specs]
            kind = self.output_kind(parent.kind if parent else None, stages)
            config = {"recipe": self.recipe.name, "stages": [s.config() for s in stages]}
            parents = [parent.id] if parent else []
            edge_kind = min((s.edge_kind for s in stages), key=lambda k: EDGE_PRIORITY.index(k)
                            if k in EDGE_PRIORITY else len(EDGE_PRIORITY))
            detail: dict[str, Any] = {"recipe": self.recipe.name, "recipe_digest": self.recipe.digest}
            for stage in stages:
                detail.update(stage.lineage_detail())
            code = {"stages": [stage.code_identity() for stage in stages]}
            writer = self.store.writer(segment.output, kind, parents=parents, config=config, code=code,
                                       edge_kind=edge_kind, edge_detail=detail,
                                       metadata={"recipe": self.recipe.name, "recipe_path": self.recipe.path,
                                                 # the recipe's `checks:` apply to its final snapshot
                                                 "checks": self.recipe.checks
                                                 if segment.output == self.recipe.output else {}})
            existing = self.store.find(writer.id)
            if existing is not None:  # the same input, config and code made it before: nothing to do
                writer.abort()
                for stage in stages:
                    stage.close()
                result.reused.append(existing)
                result.in_order.append(existing)
                parent = existing
                continue
            try:
                self._run_segment(segment, stages, parent, writer, kind)
                info = writer.commit()
                for stage in stages:
                    stage.after_commit(info)
            except BaseException:
                writer.abort()
                raise
            finally:
                for stage in stages:
                    stage.close()
            result.snapshots.append(info)
            result.in_order.append(info)
            parent = info
        return result

    def _run_segment(self, segment: Segment, stages: list[Stage], parent: SnapshotInfo | None,
                     writer: SnapshotWriter, kind: str) -> None:
        files = [Path(f) for f in sorted((parent.path / "data").glob("*.parquet"))] if parent else []
        total = parent.rows if parent else None
        scratch = self.store.root / "tmp" / temp_name("work")
        scratch.mkdir(parents=True)
        tallies = [StageTally(i, spec) for i, spec in segment.specs]
        queued = QueuedWriter(writer)
        try:
            groups = self._groups(stages)
            for group_index, group in enumerate(groups):
                last = group_index == len(groups) - 1
                if group[0].scope == "global":
                    files = self._run_global(group[0], tallies[stages.index(group[0])], files, queued,
                                             scratch, last)
                else:
                    files = self._run_batches(group, [tallies[stages.index(s)] for s in group], files,
                                              queued, scratch, last, total)
                queued.drain()  # the next group reads this one's scratch shards
                total = tallies[stages.index(group[-1])].rows_out
            if writer.shard_count == 0:
                writer.write(pl.DataFrame(schema=SCHEMAS[kind]))
        finally:
            queued.close()
            shutil.rmtree(scratch, ignore_errors=True)
        for tally in tallies:
            tally.check_accounted()
            writer.add_funnel(tally.index, tally.spec.name, tally.spec.type, tally.rows_in, tally.rows_out,
                              dict(tally.reasons), round(tally.seconds, 3))

    @staticmethod
    def _groups(stages: list[Stage]) -> list[list[Stage]]:
        groups: list[list[Stage]] = []
        for stage in stages:
            if stage.scope == "batch" and groups and groups[-1][-1].scope == "batch" \
                    and not isinstance(stage, SourceStage):
                groups[-1].append(stage)
            else:
                groups.append([stage])
        return groups

    def _run_batches(self, group: list[Stage], tallies: list[StageTally], files: list[Path],
                     writer: QueuedWriter, scratch: Path, last: bool, total: int | None) -> list[Path]:
        source = group[0] if isinstance(group[0], SourceStage) else None
        batches = source.generate() if source is not None else iter_batches(files, self.recipe.batch_rows)
        stages = group[1:] if source is not None else group
        if source is not None:
            total = source.expected_rows()
        for stage in stages:  # e.g. start worker pools that load while the first stages run
            stage.prepare(total)
        out_files: list[Path] = []
        names = "+".join(t.spec.name for t in tallies)
        with progress_bar(names, total) as advance:
            for batch in self._timed(batches, tallies[0]) if source else batches:
                if source is not None:
                    tallies[0].rows_in += batch.height
                    batch = tallies[0].split(batch, writer)
                    advance(batch.height)
                else:
                    advance(batch.height)
                for stage, tally in zip(stages, tallies[1:] if source else tallies, strict=True):
                    started = time.perf_counter()
                    tally.rows_in += batch.height
                    batch = tally.split(stage.process_batch(batch), writer)
                    tally.seconds += time.perf_counter() - started
                self._emit(batch, last, writer, scratch / f"{tallies[-1].index:02d}", out_files)
                faultpoint("pipeline.batch")
        return out_files

    @staticmethod
    def _emit(batch: pl.DataFrame, last: bool, writer: QueuedWriter, prefix: Path, out_files: list[Path]) -> None:
        """Rows leaving a group: into the snapshot when it is the last group, else into a scratch shard."""
        if last:
            writer.write(batch)
        elif batch.height:
            path = prefix.with_name(f"{prefix.name}-{len(out_files):05d}.parquet")
            writer.scratch(batch, path)
            out_files.append(path)

    @staticmethod
    def _timed(batches: Iterator[pl.DataFrame], tally: StageTally) -> Iterator[pl.DataFrame]:
        while True:
            started = time.perf_counter()
            try:
                batch = next(batches)
            except StopIteration:
                return
            tally.seconds += time.perf_counter() - started
            yield batch

    def _run_global(self, stage: Stage, tally: StageTally, files: list[Path], writer: QueuedWriter,
                    scratch: Path, last: bool) -> list[Path]:
        started = time.perf_counter()
        frame = pl.scan_parquet([str(f) for f in files]) if files else pl.LazyFrame()
        tally.rows_in = frame.select(pl.len()).collect().item() if files else 0
        if not files:
            return []
        output = scratch / f"{tally.index:02d}-global.parquet"
        stage.process(frame).sink_parquet(output, row_group_size=self.recipe.batch_rows)
        out_files: list[Path] = []
        for batch in iter_batches([output], self.recipe.batch_rows):
            self._emit(tally.split(batch, writer), last, writer, scratch / f"{tally.index:02d}", out_files)
        tally.seconds = time.perf_counter() - started
        return out_files


def run_recipe(recipe: Recipe, store: Store, options: dict[str, Any] | None = None) -> RunResult:
    """Run every stage of ``recipe`` and return the snapshots written (or reused when up to date)."""
    return Pipeline(recipe, store, options).run()
