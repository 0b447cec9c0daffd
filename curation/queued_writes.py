"""Shard and rejection writes on one background thread, so the next batch computes meanwhile.

Encoding and compressing parquet (and JSON-encoding rejected rows) releases the GIL, so on a
two-core machine this overlaps with the Python parts of the next batch (reflection cuts,
grading). Writes run in submission order, so shard numbering is the same as writing inline.
At most ``max_pending`` writes wait, each holding its frame: memory stays bounded by a few
batches. An error in a write is raised in the caller at its next submit or at ``drain()``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import polars as pl

from curation.rows import rejection_frame
from curation.store import SnapshotWriter


class QueuedWriter:
    """Queues ``writer.write`` / ``writer.add_rejections`` / scratch shards; ``close()`` when done."""

    def __init__(self, writer: SnapshotWriter, max_pending: int = 2) -> None:
        self.writer = writer
        self.max_pending = max_pending
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="thinkset-write")
        self._pending: deque[Future[None]] = deque()

    def _submit(self, job: Callable[[], None]) -> None:
        while self._pending and (self._pending[0].done() or len(self._pending) >= self.max_pending):
            self._pending.popleft().result()  # re-raises a failed write here, in the caller
        self._pending.append(self._executor.submit(job))

    def write(self, frame: pl.DataFrame) -> None:
        """Append ``frame`` as a snapshot shard (``SnapshotWriter.write``)."""
        self._submit(lambda: self.writer.write(frame))

    def reject(self, rejected: pl.DataFrame, stage_index: int, stage: str) -> None:
        """Record dropped rows (with the reserved columns) in the rejections of ``stage``."""
        self._submit(lambda: self.writer.add_rejections(rejection_frame(rejected, stage_index, stage)))

    def rejections(self, frame: pl.DataFrame) -> None:
        """Record rows already in the rejections layout (``rejection_frame``), e.g. built on a Ray worker."""
        self._submit(lambda: self.writer.add_rejections(frame))

    def scratch(self, frame: pl.DataFrame, path: Path) -> None:
        """Write an intermediate shard read by a later group of stages (``drain()`` before reading it)."""
        self._submit(lambda: frame.write_parquet(path))

    def drain(self) -> None:
        """Wait for every queued write; raises the first failure."""
        while self._pending:
            self._pending.popleft().result()

    def close(self) -> None:
        """Drop queued writes not started yet and wait for a running one (call ``drain()`` first to keep them)."""
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        self._executor.shutdown(wait=True, cancel_futures=True)
