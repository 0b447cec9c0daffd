"""What a stage is: typed params, a scope, and one method that turns rows into rows.

A filter answers "keep this row?" for every row and says why not: it returns
the rows with its score columns added plus the reserved columns ``_keep``,
``_reason`` and ``_detail`` (see ``curation.rows``). The pipeline routes dropped
rows to the snapshot's rejections and keeps the scores, so thresholds can be
re-cut later.

The pipeline calls only the methods declared here, in this order per segment:
``config`` and ``code_identity`` (content id), ``lineage_detail`` (edge detail), ``prepare``, then
``process_batch``/``process`` (or ``generate`` for a ``SourceStage``), then
``after_commit`` once the snapshot is listed, and ``close`` always.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict

from curation.stages.code_identity import code_identity

if TYPE_CHECKING:
    from curation.store import SnapshotInfo, Store


class StageParams(BaseModel):
    """Base of every stage's params: unknown fields are errors, every field documents itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass
class StageContext:
    store: Store
    stage_index: int = 0
    stage_name: str = ""
    work_dir: Path | None = None  # durable per-stage folder (generation caches live here)
    options: dict[str, Any] = field(default_factory=dict)  # CLI overrides: backend, base_url, model, ...
    seed: int = 0
    progress: Callable[..., Any] | None = None  # progress(description, total) -> callable(advance)


class Stage:
    """Base class. Subclasses set ``type``, ``Params`` and implement one of the two methods."""

    type: ClassVar[str]
    Params: ClassVar[type[StageParams]] = StageParams
    scope: ClassVar[Literal["batch", "global"]] = "batch"
    output_kind: ClassVar[str | None] = None  # the snapshot kind after this stage; None = unchanged
    edge_kind: ClassVar[str] = "filtered_from"  # lineage edge of a snapshot this stage ends in
    description: ClassVar[str] = ""

    def __init__(self, params: StageParams, ctx: StageContext) -> None:
        self.params = params
        self.ctx = ctx

    def process_batch(self, batch: pl.DataFrame) -> pl.DataFrame:  # scope == "batch"
        raise NotImplementedError(f"stage {self.type!r} has scope {self.scope!r} and must implement process()")

    def process(self, frame: pl.LazyFrame) -> pl.LazyFrame:  # scope == "global"
        raise NotImplementedError(f"stage {self.type!r} has scope {self.scope!r} and must implement process_batch()")

    def prepare(self, expected_rows: int | None) -> None:
        """Called before the first batch with the rows expected (None = unknown), e.g. to start worker pools."""

    def lineage_detail(self) -> dict[str, Any]:
        """Extra detail for the lineage edge of the snapshot this stage ends in (e.g. model, backend, params)."""
        return {}

    def close(self) -> None:
        """Release resources (process pools, clients) after the last batch."""

    def after_commit(self, info: SnapshotInfo) -> None:
        """Called with the SnapshotInfo of the snapshot this stage's segment wrote (e.g. to record checks)."""

    def config(self) -> dict[str, Any]:
        """What identifies this stage's work in a snapshot's content id."""
        return {"type": self.type, **self.params.model_dump(mode="json")}

    def code_identity(self) -> str:
        """Hash of the code that decides this stage's rows (rule: ``curation.stages.code_identity``); part of
        the content id, so changed code makes a new snapshot version."""
        return code_identity(type(self))


class SourceStage(Stage):
    """The first stage of a recipe that makes rows from outside the store (a pool); it has no input rows."""

    output_kind: ClassVar[str | None] = "pool"

    def generate(self) -> Iterator[pl.DataFrame]:
        """The source's rows, batch by batch (reserved columns mark rows that could not be read)."""
        raise NotImplementedError(f"source stage {self.type!r} must implement generate()")

    def expected_rows(self) -> int | None:
        """Rows the source will produce, when known up front (for the progress bar)."""
        return None
