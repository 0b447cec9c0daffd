"""Backend settings and the factory that builds a backend by name (imports engines lazily)."""

from __future__ import annotations

import importlib
import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:
    from curation.generate.base import Backend
    from curation.store import ImageStore

# name -> "module:class"; engines (torch, vllm, openai) are imported only when their backend is used.
BACKENDS = {
    "openai": "curation.generate.openai:OpenAIBackend",
    "vllm": "curation.generate.vllm:VLLMBackend",
    "transformers": "curation.generate.transformers:TransformersBackend",
    "synthetic": "curation.generate.synthetic:SyntheticBackend",
    "ray-vllm": "curation.generate.ray_llm:RayLLMBackend",  # ray.data.llm + vLLM on a Ray cluster (GPUs)
}


OTHER_SERVICES_KEYS = ("ARGILLA_API_KEY",)


class ConnectionSettings(BaseModel):
    """Where and how fast to ask a model, not what: a generating stage's params carry these too (they are
    not part of a snapshot's content id). Secrets are never here: the key is read from ``api_key_env``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str | None = Field(None, description="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 "
                                 "(openai backend)")
    api_key_env: str = Field("OPENAI_API_KEY", description="environment variable with the API key (a NAME_API_KEY "
                             "variable); never stored")
    concurrency: int = Field(64, gt=0, description="requests in flight at once (openai)")
    request_timeout: float = Field(600.0, gt=0, description="seconds before one attempt is abandoned")
    max_retries: int = Field(5, ge=0, description="retries after the first attempt on 429/5xx/timeouts/drops")
    stream: bool = Field(False, description="use server-sent events (streaming) instead of one JSON answer")
    engine_options: dict[str, Any] = Field(default_factory=dict, description="backend-specific options "
                                           "(vllm.LLM kwargs; synthetic teacher rates)")

    @field_validator("api_key_env")
    @classmethod
    def _an_api_key_variable(cls, name: str) -> str:
        # A recipe names the server and this variable: naming HF_TOKEN, ARGILLA_API_KEY or a cloud secret here
        # would send that secret to whatever server the recipe names.
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*_API_KEY", name) or name in OTHER_SERVICES_KEYS:
            raise ValueError(f"api_key_env {name!r}: name an environment variable NAME_API_KEY holding the "
                             "generation server's key (e.g. OPENAI_API_KEY); the Hub and Argilla tokens are refused")
        return name

    def connection_settings(self) -> dict[str, Any]:
        """These fields and their values (to build a BackendConfig from a stage's params)."""
        return {name: getattr(self, name) for name in ConnectionSettings.model_fields}


class BackendConfig(ConnectionSettings):
    """How to reach a model: the connection settings plus the model and the engine-side knobs."""

    model: str = Field(description="model id as the server knows it, or a local path (transformers, vllm)")
    backoff_base: float = Field(0.5, ge=0, description="first backoff in seconds; doubles per retry, with jitter")
    backoff_max: float = Field(30.0, ge=0, description="longest backoff (and longest Retry-After honoured)")
    batch_size: int = Field(8, gt=0, description="prompts per generate() call (transformers)")
    device: str | None = Field(None, description="torch device (transformers); None = cuda if available else cpu")


def make_backend(name: str, config: BackendConfig, images: ImageStore) -> Backend:
    """Build backend ``name``; raises ValueError naming the known backends."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; known backends: {', '.join(BACKENDS)}")
    module_name, class_name = BACKENDS[name].split(":")
    backend_class = getattr(importlib.import_module(module_name), class_name)
    return backend_class(config, images)
