"""``caption``: a vision model describes each row's images; the text lands in a ``caption`` column.

The paper's iteration 1 captions every image with a small VLM (Qwen2.5-VL-3B)
so that a text-only reasoner can answer from caption + question. Rows without
images pass through with a null caption; rows whose request failed for good
are dropped with reason ``generation_failed`` (the error in the detail).
"""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl
from pydantic import Field

from curation.generate.base import GenerationRequest, image_part, request_key, text_part
from curation.generate.prompts import render
from curation.generate.stage import GenerationParams, GenerationStage
from curation.rows import DETAIL, KEEP, REASON
from curation.stages.registry import register_stage

ROW_FIELDS = ("id", "source", "problem", "answer", "choices", "image_ids", "metadata")


class CaptionParams(GenerationParams):
    prompt_template: str = Field("caption", description="bundled template name, template file, or template text")
    output_column: str = Field("caption", description="column that receives the caption")


@register_stage
class CaptionStage(GenerationStage):
    type: ClassVar[str] = "caption"
    Params: ClassVar[type[CaptionParams]] = CaptionParams
    description: ClassVar[str] = "describe each row's images with a VLM (caption column)"
    params: CaptionParams

    def request_for(self, row: dict[str, Any]) -> GenerationRequest | None:
        if not row["image_ids"]:
            return None
        prompt = render(self.template(), row)
        messages = self.messages([*(image_part(sha) for sha in row["image_ids"]), text_part(prompt)])
        sampling = self.sampling()
        return GenerationRequest(key=request_key(self.model_identity, sampling, messages, 0, 1), messages=messages,
                                 params=sampling, context={"task": "caption", **row})

    def process_batch(self, batch: pl.DataFrame) -> pl.DataFrame:
        rows = batch.select([c for c in ROW_FIELDS if c in batch.columns]).to_dicts()
        requests = [self.request_for(row) for row in rows]
        results = self.generate([r for r in requests if r is not None])
        captions, keep, reasons = [], [], []
        for request in requests:
            result = results[request.key] if request is not None else None
            failed = result is not None and not result.ok
            captions.append(result.texts[0] if result is not None and result.ok else None)
            keep.append(not failed)
            reasons.append(result.error if failed else None)
        return batch.with_columns(
            pl.Series(self.params.output_column, captions, dtype=pl.Utf8),
            pl.Series(KEEP, keep, dtype=pl.Boolean),
            pl.Series(REASON, ["generation_failed" if r else None for r in reasons], dtype=pl.Utf8),
            pl.Series(DETAIL, reasons, dtype=pl.Utf8),
        )
