"""``reason``: k reasoning samples per problem -> a ``rollouts`` snapshot, one row per sample.

Two modes, as in the paper: ``text`` asks a text reasoner the caption + question
(iteration 1: R1-distill answering from a Qwen2.5-VL caption); ``image`` asks a
VLM the image + question (later iterations, the previous iteration's model).
Each row carries model, backend, params (JSON), token counts, finish reason
and latency; a sample whose request failed for good is dropped with reason
``generation_failed`` and its error as detail.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import polars as pl
from pydantic import Field

from curation.generate.base import GenerationRequest, GenerationResult, image_part, request_key, text_part
from curation.generate.prompts import render
from curation.generate.stage import GenerationParams, GenerationStage
from curation.rows import DETAIL, KEEP, REASON, StageFailed
from curation.schema import row_id
from curation.stages.registry import register_stage

ROW_FIELDS = ("id", "source", "problem", "answer", "choices", "image_ids", "metadata", "caption")
# Columns this stage writes; an input that already has them (reasoning again over rollouts) loses the old ones.
SAMPLE_COLUMNS = ("problem_id", "sample_index", "model", "backend", "params", "response", "finish_reason",
                  "prompt_tokens", "completion_tokens", "latency_s")


class ReasonParams(GenerationParams):
    mode: Literal["text", "image"] = Field("text", description="text: caption + question to a text reasoner "
                                           "(paper iteration 1); image: image + question to a VLM")
    k: int = Field(1, gt=0, description="samples per problem (the paper uses 4)")
    n_per_request: int = Field(1, gt=0, description="samples asked for in one request (the server's n)")
    prompt_template: str | None = Field(None, description="template name/file/text; default reason_text or "
                                        "reason_image by mode")


@register_stage
class ReasonStage(GenerationStage):
    type: ClassVar[str] = "reason"
    Params: ClassVar[type[ReasonParams]] = ReasonParams
    output_kind: ClassVar[str | None] = "rollouts"
    description: ClassVar[str] = "k reasoning samples per problem (text: caption + question; image: VLM)"
    params: ReasonParams

    def template(self) -> str:
        return self.params.prompt_template or f"reason_{self.params.mode}"

    def requests_for(self, row: dict[str, Any]) -> list[GenerationRequest]:
        prompt = render(self.template(), row)
        if self.params.mode == "image":
            content: Any = [*(image_part(sha) for sha in row["image_ids"] or []), text_part(prompt)]
        else:
            content = prompt
        messages, sampling = self.messages(content), self.sampling()
        context = {"task": "reason", "problem_id": row["id"], **row}
        requests = []
        for first in range(0, self.params.k, self.params.n_per_request):
            n = min(self.params.n_per_request, self.params.k - first)
            requests.append(GenerationRequest(key=request_key(self.model_identity, sampling, messages, first, n),
                                              messages=messages, params=sampling, n=n, first_sample=first,
                                              context=context))
        return requests

    def process_batch(self, batch: pl.DataFrame) -> pl.DataFrame:
        if self.params.mode == "text" and "caption" not in batch.columns:
            raise StageFailed(f"stage {self.ctx.stage_name!r} (reason, mode text) needs a 'caption' column: put a "
                             "caption stage before it, or use mode: image to ask a VLM the image itself")
        rows = batch.select([c for c in ROW_FIELDS if c in batch.columns]).to_dicts()
        per_row = [self.requests_for(row) for row in rows]
        results = self.generate([r for requests in per_row for r in requests])
        samples = [sample for index, requests in enumerate(per_row) for request in requests
                   for sample in self.samples(index, request, results[request.key])]
        frame = pl.DataFrame(samples, schema={
            "_row": pl.UInt32, "id": pl.Utf8, "sample_index": pl.Int32, "response": pl.Utf8,
            "finish_reason": pl.Utf8, "prompt_tokens": pl.Int64, "completion_tokens": pl.Int64,
            "latency_s": pl.Float64, KEEP: pl.Boolean, REASON: pl.Utf8, DETAIL: pl.Utf8})
        base = batch.drop([c for c in SAMPLE_COLUMNS if c in batch.columns]).rename({"id": "problem_id"})
        return (base.with_row_index("_row").join(frame, on="_row", how="inner")
                .sort(["_row", "sample_index"]).drop("_row")
                .with_columns(pl.lit(self.model).alias("model"), pl.lit(self.backend_name).alias("backend"),
                              pl.lit(self.params_json()).alias("params")))

    @staticmethod
    def samples(row_index: int, request: GenerationRequest, result: GenerationResult) -> list[dict[str, Any]]:
        out = []
        for offset in range(request.n):
            sample_index = request.first_sample + offset
            sample: dict[str, Any] = {"_row": row_index, "id": row_id(request.key, sample_index),
                                      "sample_index": sample_index, "latency_s": result.latency_s}
            if result.ok:
                sample.update(response=result.texts[offset], finish_reason=result.finish_reasons[offset],
                              prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens[offset],
                              **{KEEP: True, REASON: None, DETAIL: None})
            else:
                sample.update(**{KEEP: False, REASON: "generation_failed", DETAIL: result.error})
            out.append(sample)
        return out
