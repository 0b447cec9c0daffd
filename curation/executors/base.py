"""The executor protocol and the choice of one by name (``thinkset run --executor``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from curation.progress import progress_bar
from curation.recipe import Recipe, RecipeError, StageSpec
from curation.stages.base import StageContext

if TYPE_CHECKING:
    from curation.stages.base import Stage
    from curation.store import SnapshotInfo, SnapshotWriter, Store

EXECUTORS = ("local", "ray")


@dataclass
class Segment:
    """Stages between two written snapshots."""

    output: str
    specs: list[tuple[int, StageSpec]]


@dataclass
class SegmentRun:
    """What an executor needs to run one segment; the pipeline builds it, the executor fills ``writer``."""

    recipe: Recipe
    store: Store
    segment: Segment
    stages: list[Stage]  # built on the driver: they give config, code identity, lineage and after_commit
    parent: SnapshotInfo | None
    writer: SnapshotWriter
    kind: str
    options: dict[str, Any]



def build_stage(recipe: Recipe, store: Store, options: dict[str, Any], index: int, spec: StageSpec,
                *, progress: bool = True) -> Stage:
    """Stage ``index`` of ``recipe``, on the driver or rebuilt on a worker (``progress=False``: no bars there)."""
    work_dir = store.root / "work" / recipe.name / f"{index:02d}-{spec.name}"
    ctx = StageContext(store=store, stage_index=index, stage_name=spec.name, work_dir=work_dir,
                       options=options, seed=recipe.seed, progress=progress_bar if progress else None)
    return spec.stage_class(spec.params, ctx)


class Executor(Protocol):
    name: str

    def run_segment(self, run: SegmentRun) -> None:
        """Stream the parent's rows through the stages into ``run.writer`` (shards, rejections, funnel)."""


def make_executor(name: str | None, address: str | None = None, workers: int | None = None) -> Executor:
    """``local`` (default) or ``ray`` (``address``: ``auto``, ``ray://host:10001``, or None for a local Ray)."""
    if name in (None, "", "local"):
        from curation.executors.local import LocalExecutor

        return LocalExecutor()
    if name == "ray":
        from curation.executors.ray import RayExecutor

        return RayExecutor(address=address, workers=workers)
    raise RecipeError(f"unknown executor {name!r}; choose one of: {', '.join(EXECUTORS)}")
