"""Run one stage on a frame the way the pipeline does, and split kept from rejected rows."""

from __future__ import annotations

import polars as pl

from curation.rows import KEEP
from curation.stages.base import StageContext
from curation.stages.registry import get_stage


def run_stage(stage_type: str, frame: pl.DataFrame, store, **params) -> tuple[pl.DataFrame, pl.DataFrame]:
    cls = get_stage(stage_type)
    stage = cls(cls.Params.model_validate(params), StageContext(store=store))
    try:
        out = stage.process(frame.lazy()).collect() if cls.scope == "global" else stage.process_batch(frame)
    finally:
        stage.close()
    assert out.height == frame.height, "a filter never loses a row: kept + rejected = input"
    return out.filter(pl.col(KEEP)), out.filter(~pl.col(KEEP))
