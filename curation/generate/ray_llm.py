"""The ``ray-vllm`` backend: batch inference with ``ray.data.llm`` (vLLM engine processor) on a Ray cluster.

The pending requests (the runner has already skipped every cached one) become a Ray Dataset, one row per
sample (seed + sample index, as the other backends), and go through a vLLM engine processor:
``engine_options`` sets ``replicas`` (engine copies, data parallel), ``tensor_parallel_size`` (GPUs per
copy), ``batch_size`` (prompts per engine call) and ``accelerator_type``; every other key goes to vLLM's
engine as is. Sampling is the stage's (the paper's presets). Results come back by request key, so the
cache, resume and the snapshot are the same as with any other backend.

Needs GPUs and vLLM on the cluster; ``tests/generate/test_ray_llm_backend.py`` runs it where a GPU exists
and is skipped elsewhere.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from curation.generate.backends import BackendConfig
from curation.generate.base import GenerationRequest, GenerationResult, data_url, openai_messages
from curation.store.images import ImageStore

PROCESSOR_KEYS = ("replicas", "tensor_parallel_size", "batch_size", "accelerator_type")


def sampling_dict(request: GenerationRequest, sample: int) -> dict[str, Any]:
    """vLLM sampling params of one sample of ``request`` (seed + sample index, like every backend)."""
    params = request.params
    out: dict[str, Any] = {"max_tokens": params.max_new_tokens, "temperature": params.temperature,
                           "top_p": params.top_p, "n": 1}
    if params.top_k is not None:
        out["top_k"] = params.top_k
    if params.seed is not None:
        out["seed"] = params.seed + request.first_sample + sample
    if params.stop:
        out["stop"] = list(params.stop)
    return out


class RayLLMBackend:
    """``ray.data.llm`` + vLLM; see the module docstring for ``engine_options``."""

    name = "ray-vllm"

    def __init__(self, config: BackendConfig, images: ImageStore) -> None:
        self.config, self.images, self.model = config, images, config.model
        self.retries = 0
        options = dict(config.engine_options)
        self.replicas = int(options.pop("replicas", 1))
        self.tensor_parallel_size = int(options.pop("tensor_parallel_size", 1))
        self.batch_size = int(options.pop("batch_size", 64))
        self.accelerator_type = options.pop("accelerator_type", None)
        self.engine_kwargs = {"tensor_parallel_size": self.tensor_parallel_size, **options}

    def rows(self, requests: Sequence[GenerationRequest]) -> list[dict[str, Any]]:
        images = self.images

        def url(sha: str) -> str:
            return data_url(images.get(sha))

        return [{"key": r.key, "sample": s, "messages": openai_messages(r.messages, url),
                 "sampling_params": sampling_dict(r, s)} for r in requests for s in range(r.n)]

    def processor(self, multimodal: bool) -> Any:
        from ray.data.llm import build_processor, vLLMEngineProcessorConfig

        config = vLLMEngineProcessorConfig(
            model_source=self.model, engine_kwargs=self.engine_kwargs, batch_size=self.batch_size,
            concurrency=self.replicas, accelerator_type=self.accelerator_type,
            prepare_multimodal_stage=multimodal)
        return build_processor(
            config,
            preprocess=lambda row: {"messages": row["messages"], "sampling_params": row["sampling_params"],
                                    "key": row["key"], "sample": row["sample"]},
            postprocess=lambda row: {"key": row["key"], "sample": row["sample"], "text": row["generated_text"],
                                     "finish_reason": row.get("finish_reason"),
                                     "prompt_tokens": row.get("num_input_tokens"),
                                     "completion_tokens": row.get("num_generated_tokens")})

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[GenerationResult]:
        if not requests:
            return
        import ray

        started = time.perf_counter()
        rows = self.rows(requests)
        multimodal = any(isinstance(m["content"], list) and any(p.get("type") == "image_url" for p in m["content"])
                         for row in rows for m in row["messages"])
        samples: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
        for out in self.processor(multimodal)(ray.data.from_items(rows)).iter_rows():
            samples[out["key"]][int(out["sample"])] = out
        seconds = time.perf_counter() - started
        for request in requests:
            got = samples.get(request.key, {})
            if len(got) < request.n:
                yield GenerationResult(key=request.key, error=f"ray-vllm returned {len(got)} of {request.n} samples",
                                       latency_s=seconds)
                continue
            ordered = [got[s] for s in range(request.n)]
            yield GenerationResult(key=request.key, texts=[o["text"] for o in ordered],
                                   finish_reasons=[o["finish_reason"] for o in ordered],
                                   prompt_tokens=ordered[0]["prompt_tokens"],
                                   completion_tokens=[o["completion_tokens"] for o in ordered], latency_s=seconds)

    def close(self) -> None:
        """Nothing held: the engine actors end with the dataset."""
