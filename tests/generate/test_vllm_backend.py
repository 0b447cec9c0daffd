"""The vllm backend needs vLLM and a CUDA device; elsewhere it is skipped with the reason."""

from __future__ import annotations

import importlib.util
import os

import pytest

from curation.generate.backends import BackendConfig, make_backend
from curation.generate.base import PRESETS, GenerationRequest, request_key, text_part

pytestmark = pytest.mark.gpu


def test_missing_vllm_is_a_clear_error(store):
    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vllm is installed here")
    with pytest.raises(ImportError, match="--backend openai"):
        make_backend("vllm", BackendConfig(model="any"), store.images)


@pytest.mark.skipif(importlib.util.find_spec("vllm") is None, reason="vllm is not installed (GPU-only extra)")
def test_vllm_generates_with_a_small_model(store):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    model = os.environ.get("THINKSET_VLLM_TEST_MODEL")
    if not model:
        pytest.skip("set THINKSET_VLLM_TEST_MODEL to a small local model folder")
    backend = make_backend("vllm", BackendConfig(model=model, engine_options={"max_model_len": 2048}), store.images)
    messages = [{"role": "user", "content": [text_part("What is 2 + 2?")]}]
    params = PRESETS["greedy"].model_copy(update={"max_new_tokens": 16})
    request = GenerationRequest(key=request_key(model, params, messages, 0, 2), messages=messages, params=params, n=2)
    [result] = list(backend.generate([request]))
    assert result.ok and len(result.texts) == 2 and result.completion_tokens[0] <= 16
