"""What a stage is: typed params, a scope, and one method that turns rows into rows.

A filter answers "keep this row?" for every row and says why not: it returns
the rows with its score columns added plus the reserved columns ``_keep``,
``_reason`` and ``_detail``. The pipeline routes dropped rows to the snapshot's
rejections and keeps the scores, so thresholds can be re-cut later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from curation.store import Store

KEEP, REASON, DETAIL = "_keep", "_reason", "_detail"
RESERVED_COLUMNS = (KEEP, REASON, DETAIL)


class StageFailed(RuntimeError):
    """A stage stopped the run on purpose (e.g. a failed check); the message says why and what to do."""


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

    def close(self) -> None:
        """Release resources (process pools, clients) after the last batch."""

    def after_commit(self, info: Any) -> None:
        """Called with the SnapshotInfo of the snapshot this stage's segment wrote (e.g. to record checks)."""

    def config(self) -> dict[str, Any]:
        """What identifies this stage's work in a snapshot's content id."""
        return {"type": self.type, **self.params.model_dump(mode="json")}


def decide(keep: pl.Expr, reason: str | pl.Expr, detail: pl.Expr | str = "") -> list[pl.Expr]:
    """The three reserved columns of a filter from a keep expression and a reason for the dropped rows."""
    reason_expr = pl.lit(reason) if isinstance(reason, str) else reason
    detail_expr = pl.lit(detail) if isinstance(detail, str) else detail
    return [
        keep.fill_null(False).alias(KEEP),
        pl.when(keep.fill_null(False)).then(pl.lit(None, dtype=pl.Utf8)).otherwise(reason_expr).alias(REASON),
        pl.when(keep.fill_null(False)).then(pl.lit(None, dtype=pl.Utf8)).otherwise(detail_expr.cast(pl.Utf8)).alias(DETAIL),
    ]
