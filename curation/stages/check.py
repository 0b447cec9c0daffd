"""check: run a snapshot kind's suite on the rows at this point of a recipe and stop the run if it fails.

Rows pass through unchanged. The stage sees every row at once (scope global)
because some checks compare rows (unique ids, duplicate pairs, source mix).
After the snapshot this stage ends in is committed, the suite runs again on the
committed rows (image checks are cached, so it is cheap) and the result is
stored in the catalog with its HTML report: that is what `publish` reads.

    stages:
      - {type: length, max_words: 500}
      - {type: check, kind: sft, source_mix: {synth_chart: [0.1, 0.6]}}
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import polars as pl
from pydantic import Field, create_model

from curation.checks.config import CheckConfig
from curation.stages.base import Stage, StageParams
from curation.stages.registry import register_stage
from curation.store import SnapshotInfo

# The stage takes every CheckConfig field flat in its mapping, plus the suite to use.
CheckParams: type[StageParams] = create_model(  # type: ignore[call-overload]
    "CheckParams",
    __base__=StageParams,
    kind=(Literal["pool", "rollouts", "sft", "grpo"] | None,
          Field(None, description="suite to run; default: guessed from the columns")),
    record=(bool, Field(True, description="store the result of the committed snapshot in the catalog")),
    **{name: (info.annotation, info) for name, info in CheckConfig.model_fields.items()},
)


def guess_kind(columns: list[str]) -> str:
    """The kind whose columns these are: grpo (pass_rate), rollouts (sample_index), sft (response), else pool."""
    if "pass_rate" in columns:
        return "grpo"
    if "sample_index" in columns:
        return "rollouts"
    return "sft" if "response" in columns else "pool"


@register_stage
class CheckStage(Stage):
    type = "check"
    Params = CheckParams
    scope = "global"
    description = "run the Great Expectations suite of a snapshot kind; stop the run when it fails"
    stage_keys: ClassVar[tuple[str, ...]] = ("kind", "record")

    def __init__(self, params: StageParams, ctx: Any) -> None:
        super().__init__(params, ctx)
        self._probe = None
        self._kind: str | None = None

    def checks(self) -> dict[str, Any]:
        """The check settings the recipe wrote in this stage (unset fields keep the kind's defaults)."""
        return {k: v for k, v in self.params.model_dump(exclude_unset=True).items() if k not in self.stage_keys}

    def process(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        from curation.checks.adapter import ImageProbe
        from curation.checks.config import resolve_config
        from curation.checks.results import CheckFailed
        from curation.checks.runner import check_frame

        columns = frame.collect_schema().names()
        self._kind = self.params.kind or guess_kind(columns)  # type: ignore[attr-defined]
        config = resolve_config(self._kind, self.checks(), where=f"stages[{self.ctx.stage_index}] (check)")
        self._probe = ImageProbe(self.ctx.store.images, mode=config.images)
        result = check_frame(frame, self._kind, config, self.ctx.store, probe=self._probe,
                             snapshot_ref=f"rows at stage {self.ctx.stage_index} ({self.ctx.stage_name})")
        if not result.success:
            raise CheckFailed(result)
        return frame

    def after_commit(self, info: SnapshotInfo) -> None:
        """Check the committed snapshot and store the result (the rows here may differ from later stages')."""
        if not self.params.record or info.kind != self._kind:  # type: ignore[attr-defined]
            return
        from curation.checks.runner import check_snapshot, record

        store = self.ctx.store
        record(store, check_snapshot(store, store.open(info.id), self.checks(), probe=self._probe))
