"""Run a recipe: cut it into segments, and per segment decide the snapshot's content id, reuse it when it
exists, or have an executor (``curation.executors``: local streaming shards, or Ray) run the stages into a
writer and commit. Funnel, rejections, catalog and lineage are recorded here, on the driver, whichever
executor ran the stages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from curation.executors.base import Executor, Segment, SegmentRun, build_stage, make_executor
from curation.executors.local import StageTally, iter_batches
from curation.recipe import Recipe, RecipeError, StageSpec
from curation.stages.base import Stage
from curation.store import SnapshotInfo, SnapshotNotFound, SnapshotWriter, Store

__all__ = ["Pipeline", "RunResult", "Segment", "StageTally", "iter_batches", "run_recipe", "segments_of"]

EDGE_PRIORITY = ("generated_by", "selected_with", "reviewed_in", "filtered_from")


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


class Pipeline:
    def __init__(self, recipe: Recipe, store: Store, options: dict[str, Any] | None = None,
                 executor: Executor | None = None) -> None:
        self.recipe = recipe
        self.store = store
        self.options = {**recipe.options, **{k: v for k, v in (options or {}).items() if v is not None}}
        # where the stages run is no part of the snapshot: the executor is not in the content id
        self.executor = executor or make_executor(self.options.pop("executor", None),
                                                  self.options.pop("ray_address", None),
                                                  workers=self.options.pop("ray_workers", None))

    # -- planning -----------------------------------------------------------
    def resolve_input(self) -> SnapshotInfo | None:
        if self.recipe.input is None:
            return None
        try:
            return self.store.resolve(self.recipe.input)
        except SnapshotNotFound as exc:
            raise RecipeError(f"{self.recipe.path}: input: {exc}") from None

    def make_stage(self, index: int, spec: StageSpec) -> Stage:
        return build_stage(self.recipe, self.store, self.options, index, spec)

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
        self.executor.run_segment(SegmentRun(recipe=self.recipe, store=self.store, segment=segment, stages=stages,
                                             parent=parent, writer=writer, kind=kind, options=self.options))


def run_recipe(recipe: Recipe, store: Store, options: dict[str, Any] | None = None,
               executor: Executor | None = None) -> RunResult:
    """Run every stage of ``recipe`` and return the snapshots written (or reused when up to date).

    ``options["executor"]`` (``local`` or ``ray``) and ``options["ray_address"]`` choose where the stages run
    when no ``executor`` is given."""
    return Pipeline(recipe, store, options, executor).run()
