"""The synthetic teacher behind the generation protocol, so demos and tests run the real stages.

It needs what a real model would infer and we cannot: the gold answer (for a
reasoning trace with controlled defects) and the image's true description (a
caption). Those come from the request's ``context`` (row fields), which only
this backend reads. Traces depend on (seed, problem id, sample index) only, so
reruns and resumed runs produce identical text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from curation.generate.backends import BackendConfig
from curation.generate.base import GenerationRequest, GenerationResult
from curation.sources.teacher import SyntheticTeacher, TeacherConfig
from curation.store import ImageStore


class SyntheticBackend:
    name = "synthetic"

    def __init__(self, config: BackendConfig, images: ImageStore) -> None:
        self.model, self.retries = config.model, 0
        options = dict(config.engine_options)
        seed = int(options.pop("seed", 0))
        self.teacher = SyntheticTeacher(TeacherConfig(**options), seed=seed)

    def caption(self, request: GenerationRequest) -> str:
        context = request.context or {}
        metadata = context.get("metadata") or "{}"
        metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
        caption = metadata.get("caption") if isinstance(metadata, dict) else None
        return caption or f"An image for the question: {context.get('problem', '')}"

    def answer(self, request: GenerationRequest) -> GenerationResult:
        context = request.context or {}
        if context.get("task") == "caption":
            texts = [self.caption(request)] * request.n
        else:
            if "answer" not in context:
                raise ValueError("the synthetic backend needs the row's gold answer in the request context")
            key = str(context.get("problem_id") or context.get("id") or request.key)
            texts = [self.teacher.trace(context.get("problem") or "", str(context["answer"]),
                                        list(context.get("choices") or []), key, request.first_sample + i).response
                     for i in range(request.n)]
        prompt_words = sum(len(str(m.get("content", "")).split()) for m in request.messages)
        tokens = [min(len(t.split()), request.params.max_new_tokens) for t in texts]
        finish = ["length" if len(t.split()) > request.params.max_new_tokens else "stop" for t in texts]
        return GenerationResult(key=request.key, texts=texts, finish_reasons=list(finish),
                                prompt_tokens=prompt_words, completion_tokens=list(tokens),
                                latency_s=0.0)  # no real latency; a fixed value keeps demo snapshots identical

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[GenerationResult]:
        for request in requests:
            yield self.answer(request)

    def close(self) -> None:
        pass
