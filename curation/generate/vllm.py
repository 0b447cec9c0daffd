"""Offline generation with ``vllm.LLM`` (GPU; optional extra ``thinkset[vllm]``).

Requests go through ``LLM.chat`` with OpenAI-layout messages, images as data
URLs, and one ``vllm.SamplingParams`` per request (so each request keeps its
own seed and ``n``). ``engine_options`` are passed to ``vllm.LLM`` (e.g.
``max_model_len``, ``gpu_memory_utilization``, ``limit_mm_per_prompt``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

from curation.generate.backends import BackendConfig
from curation.generate.base import GenerationRequest, GenerationResult, data_url, openai_messages
from curation.store import ImageStore


class VLLMBackend:
    name = "vllm"

    def __init__(self, config: BackendConfig, images: ImageStore) -> None:
        try:
            import vllm
        except ImportError:
            raise ImportError("the vllm backend needs vLLM and a GPU: pip install 'thinkset[vllm]'; "
                              "or serve the model (vllm serve MODEL) and use --backend openai --base-url") from None
        self._vllm, self.config, self.images = vllm, config, images
        self.model, self.retries = config.model, 0
        self.llm = vllm.LLM(model=config.model, **config.engine_options)

    def sampling_params(self, request: GenerationRequest) -> Any:
        params = request.params
        return self._vllm.SamplingParams(
            n=request.n, max_tokens=params.max_new_tokens, temperature=params.temperature, top_p=params.top_p,
            top_k=params.top_k if params.top_k is not None else -1, seed=request.seed, stop=list(params.stop) or None)

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[GenerationResult]:
        chunk = max(1, self.config.batch_size * 64)  # vLLM schedules within a call; chunks bound memory
        for start in range(0, len(requests), chunk):
            batch = list(requests[start:start + chunk])
            started = time.perf_counter()
            conversations = [openai_messages(r.messages, lambda sha: data_url(self.images.get(sha))) for r in batch]
            outputs = self.llm.chat(conversations, sampling_params=[self.sampling_params(r) for r in batch],
                                    use_tqdm=False)
            latency = round((time.perf_counter() - started) / max(1, len(batch)), 4)  # per request, amortized
            for request, output in zip(batch, outputs, strict=True):
                samples = sorted(output.outputs, key=lambda o: o.index)
                yield GenerationResult(
                    key=request.key, texts=[s.text for s in samples],
                    finish_reasons=[s.finish_reason for s in samples],
                    prompt_tokens=len(output.prompt_token_ids or []),
                    completion_tokens=[len(s.token_ids) for s in samples], latency_s=latency)

    def close(self) -> None:
        self.llm = None
