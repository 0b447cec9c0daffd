"""Generation: one backend protocol (openai, vllm, transformers, synthetic), the durable cache, the runner."""

from curation.generate.backends import BACKENDS, BackendConfig, make_backend
from curation.generate.base import PRESETS, GenerationRequest, GenerationResult, SamplingParams

__all__ = ["BACKENDS", "PRESETS", "BackendConfig", "GenerationRequest", "GenerationResult", "SamplingParams",
           "make_backend"]
