"""Source stages: the first stage of a recipe that makes a pool (synthetic or ingested data)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
from pydantic import Field

from curation.schema import row_id
from curation.sources.records import record_batches
from curation.stages.base import SourceStage, StageParams
from curation.stages.registry import register_stage


def path_fingerprint(path: str) -> str:
    """Names, sizes and modification times of the files under ``path`` (a hub id hashes as itself)."""
    root = Path(path)
    if not root.exists():
        return row_id("remote", path)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    return row_id([(str(f.relative_to(root) if f != root else f.name), f.stat().st_size, f.stat().st_mtime_ns)
                   for f in files])


class SyntheticPoolParams(StageParams):
    n: int = Field(2000, gt=0, description="number of problems to draw")
    seed: int = Field(0, description="random seed; the same seed draws the same pool")


@register_stage
class SyntheticPool(SourceStage):
    type = "synthetic_pool"
    Params = SyntheticPoolParams
    description = "PIL-drawn charts, geometry, counting scenes and tables with known answers"

    def expected_rows(self) -> int | None:
        return self.params.n  # type: ignore[attr-defined]

    def generate(self) -> Iterator[pl.DataFrame]:
        from curation.sources.synthetic import generate_problems, to_pool_record

        p: SyntheticPoolParams = self.params  # type: ignore[assignment]
        records = (to_pool_record(problem) for problem in generate_problems(p.n, p.seed))
        yield from record_batches(records, self.ctx.store.images)


class IngestParams(StageParams):
    path: str = Field(description="local folder/file (HF datasets, parquet, jsonl) or a hub dataset id")
    layout: str = Field("auto", description="auto | hf | sharegpt | easyr1 | llava")
    columns: dict[str, str] = Field(default_factory=dict, description="field -> column mapping, e.g. {problem: question}")
    answer_pattern: str | None = Field(None, description="regex whose group 1 is the answer (llava layout)")
    source: str | None = Field(None, description="source label for rows that have none")


@register_stage
class Ingest(SourceStage):
    type = "ingest"
    Params = IngestParams
    description = "read your own data (HF datasets, sharegpt, EasyR1, LLaVA layouts) into a pool"

    def config(self) -> dict:
        # Re-ingesting a folder whose files changed must make a new version, not reuse the old one.
        return {**super().config(), "fingerprint": path_fingerprint(self.params.path)}  # type: ignore[attr-defined]

    def generate(self) -> Iterator[pl.DataFrame]:
        from curation.sources.layouts import iter_records

        p: IngestParams = self.params  # type: ignore[assignment]
        records = iter_records(p.path, layout=p.layout, columns=p.columns or None,
                               answer_pattern=p.answer_pattern, source=p.source)
        yield from record_batches(records, self.ctx.store.images)
