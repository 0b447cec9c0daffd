"""The local executor: a segment's rows streamed through its stages in this process, batch by batch.

Consecutive batch stages are fused and run batch by batch (memory bounded by ``batch_rows``); a global
stage (dedup, select) gets a lazy scan of everything before it and Polars streams it. Every dropped row
lands in the rejections with its stage and reason, and every stage's in/out counts in the funnel.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from curation.executors.base import SegmentRun
from curation.faults import faultpoint
from curation.progress import progress_bar
from curation.queued_writes import QueuedWriter
from curation.recipe import StageSpec
from curation.rows import KEEP, REASON, RESERVED_COLUMNS, StageFailed
from curation.schema import SCHEMAS
from curation.stages.base import SourceStage, Stage
from curation.store.writer import temp_name

Reject = Callable[[pl.DataFrame, int, str], None]  # (dropped rows with reserved columns, stage index, stage name)


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

    def split(self, out: pl.DataFrame, reject: Reject | QueuedWriter) -> pl.DataFrame:
        """Route dropped rows to ``reject``; return the kept rows without reserved columns."""
        if KEEP not in out.columns:
            self.rows_out += out.height
            return out.drop([c for c in RESERVED_COLUMNS if c in out.columns])
        keep = out[KEEP].fill_null(False)
        rejected = out.filter(~keep)
        if rejected.height:
            self.reasons.update(rejected[REASON].fill_null("dropped").to_list())
            (reject.reject if isinstance(reject, QueuedWriter) else reject)(rejected, self.index, self.spec.name)
        kept = out.filter(keep).drop([c for c in RESERVED_COLUMNS if c in out.columns])
        self.rows_out += kept.height
        return kept

    def merge(self, rows_in: int, rows_out: int, reasons: dict[str, int], seconds: float) -> None:
        """Add the counts of a batch that ran elsewhere (a Ray worker)."""
        self.rows_in += rows_in
        self.rows_out += rows_out
        self.reasons.update(reasons)
        self.seconds += seconds

    def check_accounted(self) -> None:
        """Every row in is kept, rejected with a reason, or expanded into more rows; none vanishes."""
        lost = self.rows_in - self.rows_out - sum(self.reasons.values())
        if lost > 0:
            raise StageFailed(f"stage {self.spec.name!r} ({self.spec.type}) lost {lost} of {self.rows_in} rows "
                              "without a reason: a stage must mark dropped rows with _keep=False and a _reason")


def stage_groups(stages: list[Stage]) -> list[list[Stage]]:
    """Consecutive batch stages fused into one group; a global stage or a source starts its own."""
    groups: list[list[Stage]] = []
    for stage in stages:
        if stage.scope == "batch" and groups and groups[-1][-1].scope == "batch" \
                and not isinstance(stage, SourceStage):
            groups[-1].append(stage)
        else:
            groups.append([stage])
    return groups


def emit(batch: pl.DataFrame, last: bool, writer: QueuedWriter, prefix: Path, out_files: list[Path]) -> None:
    """Rows leaving a group: into the snapshot when it is the last group, else into a scratch shard."""
    if last:
        writer.write(batch)
    elif batch.height:
        path = prefix.with_name(f"{prefix.name}-{len(out_files):05d}.parquet")
        writer.scratch(batch, path)
        out_files.append(path)


class LocalExecutor:
    """Streams shards through the stages in this process (a stage may still start its own worker pool)."""

    name = "local"

    def run_segment(self, run: SegmentRun) -> None:
        parent, writer, stages = run.parent, run.writer, run.stages
        files = [Path(f) for f in sorted((parent.path / "data").glob("*.parquet"))] if parent else []
        total = parent.rows if parent else None
        scratch = run.store.root / "tmp" / temp_name("work")
        scratch.mkdir(parents=True)
        tallies = [StageTally(i, spec) for i, spec in run.segment.specs]
        queued = QueuedWriter(writer)
        try:
            groups = stage_groups(stages)
            for group_index, group in enumerate(groups):
                last = group_index == len(groups) - 1
                if group[0].scope == "global":
                    files = self.run_global(run, group[0], tallies[stages.index(group[0])], files, queued,
                                            scratch, last)
                elif isinstance(group[0], SourceStage):
                    files = self.run_source(run, group, [tallies[stages.index(s)] for s in group], queued,
                                            scratch, last)
                else:
                    files = self.run_batches(run, group, [tallies[stages.index(s)] for s in group], files,
                                             queued, scratch, last, total)
                queued.drain()  # the next group reads this one's scratch shards
                total = tallies[stages.index(group[-1])].rows_out
            if writer.shard_count == 0:
                writer.write(pl.DataFrame(schema=SCHEMAS[run.kind]))
        finally:
            queued.close()
            shutil.rmtree(scratch, ignore_errors=True)
        for tally in tallies:
            tally.check_accounted()
            writer.add_funnel(tally.index, tally.spec.name, tally.spec.type, tally.rows_in, tally.rows_out,
                              dict(tally.reasons), round(tally.seconds, 3))

    def run_source(self, run: SegmentRun, group: list[Stage], tallies: list[StageTally], writer: QueuedWriter,
                   scratch: Path, last: bool) -> list[Path]:
        source = group[0]
        assert isinstance(source, SourceStage)
        return self._stream(group[1:], tallies, source.generate(), writer, scratch, last,
                            source.expected_rows(), source_tally=tallies[0])

    def run_batches(self, run: SegmentRun, group: list[Stage], tallies: list[StageTally], files: list[Path],
                    writer: QueuedWriter, scratch: Path, last: bool, total: int | None) -> list[Path]:
        return self._stream(group, tallies, iter_batches(files, run.recipe.batch_rows), writer, scratch, last, total)

    def _stream(self, stages: list[Stage], tallies: list[StageTally], batches: Iterator[pl.DataFrame],
                writer: QueuedWriter, scratch: Path, last: bool, total: int | None,
                source_tally: StageTally | None = None) -> list[Path]:
        for stage in stages:  # e.g. start worker pools that load while the first stages run
            stage.prepare(total)
        out_files: list[Path] = []
        stage_tallies = tallies[1:] if source_tally is not None else tallies
        names = "+".join(t.spec.name for t in tallies)
        with progress_bar(names, total) as advance:
            for batch in _timed(batches, source_tally) if source_tally is not None else batches:
                if source_tally is not None:
                    source_tally.rows_in += batch.height
                    batch = source_tally.split(batch, writer)
                advance(batch.height)
                for stage, tally in zip(stages, stage_tallies, strict=True):
                    started = time.perf_counter()
                    tally.rows_in += batch.height
                    batch = tally.split(stage.process_batch(batch), writer)
                    tally.seconds += time.perf_counter() - started
                emit(batch, last, writer, scratch / f"{tallies[-1].index:02d}", out_files)
                faultpoint("pipeline.batch")
        return out_files

    def run_global(self, run: SegmentRun, stage: Stage, tally: StageTally, files: list[Path],
                   writer: QueuedWriter, scratch: Path, last: bool) -> list[Path]:
        started = time.perf_counter()
        frame = pl.scan_parquet([str(f) for f in files]) if files else pl.LazyFrame()
        tally.rows_in = frame.select(pl.len()).collect().item() if files else 0
        if not files:
            return []
        output = scratch / f"{tally.index:02d}-global.parquet"
        stage.process(frame).sink_parquet(output, row_group_size=run.recipe.batch_rows)
        out_files: list[Path] = []
        for batch in iter_batches([output], run.recipe.batch_rows):
            emit(tally.split(batch, writer), last, writer, scratch / f"{tally.index:02d}", out_files)
        tally.seconds = time.perf_counter() - started
        return out_files


def _timed(batches: Iterator[pl.DataFrame], tally: StageTally) -> Iterator[pl.DataFrame]:
    while True:
        started = time.perf_counter()
        try:
            batch = next(batches)
        except StopIteration:
            return
        tally.seconds += time.perf_counter() - started
        yield batch
