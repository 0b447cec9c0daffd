"""The ray-vllm backend (ray.data.llm + vLLM): needs Ray, vLLM and a CUDA device; skipped with the reason
elsewhere. Its request rows (one per sample, seeded like every backend) are checked everywhere."""

from __future__ import annotations

import importlib.util
import os

import pytest

from curation.generate.backends import BackendConfig, make_backend
from curation.generate.base import PRESETS, GenerationRequest, image_part, request_key, text_part
from tests.conftest import png_bytes


def test_rows_are_one_per_sample_with_the_stage_sampling_and_images_inline(store):
    sha = store.images.put(png_bytes(3))
    messages = [{"role": "user", "content": [image_part(sha), text_part("What is 2 + 2?")]}]
    params = PRESETS["sampling"].model_copy(update={"seed": 7, "max_new_tokens": 32})
    request = GenerationRequest(key=request_key("m", params, messages, 4, 2), messages=messages, params=params,
                                n=2, first_sample=4)
    backend = make_backend("ray-vllm", BackendConfig(model="m", engine_options={"replicas": 2,
                                                                             "max_model_len": 4096}), store.images)
    rows = backend.rows([request])
    assert [r["sample"] for r in rows] == [0, 1] and [r["sampling_params"]["seed"] for r in rows] == [11, 12]
    assert rows[0]["sampling_params"] == {"max_tokens": 32, "temperature": 0.6, "top_p": 0.95, "n": 1, "seed": 11}
    assert rows[0]["messages"][0]["content"][0]["image_url"]["url"].startswith("data:image/png;base64,")
    assert backend.replicas == 2 and backend.engine_kwargs == {"tensor_parallel_size": 1, "max_model_len": 4096}


@pytest.mark.skipif(importlib.util.find_spec("vllm") is None or importlib.util.find_spec("ray") is None,
                    reason="ray.data.llm needs vLLM and Ray (GPU machine only; no GPU was lent to this project's "
                           "runs so far)")
def test_ray_vllm_generates_with_a_small_model(store):
    import ray
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    model = os.environ.get("THINKSET_VLLM_TEST_MODEL")
    if not model:
        pytest.skip("set THINKSET_VLLM_TEST_MODEL to a small local model folder")
    ray.init(ignore_reinit_error=True)
    backend = make_backend("ray-vllm", BackendConfig(model=model, engine_options={"max_model_len": 2048,
                                                                                 "batch_size": 8}), store.images)
    messages = [{"role": "user", "content": [text_part("What is 2 + 2?")]}]
    params = PRESETS["greedy"].model_copy(update={"max_new_tokens": 16})
    request = GenerationRequest(key=request_key(model, params, messages, 0, 2), messages=messages, params=params, n=2)
    [result] = list(backend.generate([request]))
    assert result.ok and len(result.texts) == 2 and result.completion_tokens[0] <= 16
