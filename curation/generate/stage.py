"""What the generating stages (caption, reason) share: params, backend choice, cache, lineage.

``backend``, ``base_url`` and ``model`` can be overridden at run time
(``thinkset run R --backend openai --base-url URL --model M``); they arrive in
``ctx.options``. A key ``"<stage name>.<option>"`` (e.g. ``caption.model``)
overrides one stage only. Server settings (base_url, timeouts, concurrency)
are not part of a snapshot's content id; model, backend, sampling params and
prompt text are (a local model registered in the store by its catalog id, see ``model_identity``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from curation.generate.backends import BACKENDS, BackendConfig, ConnectionSettings, make_backend
from curation.generate.base import (
    PRESETS,
    Backend,
    GenerationRequest,
    GenerationResult,
    PresetName,
    SamplingParams,
)
from curation.generate.cache import GenerationCache
from curation.generate.prompts import template_digest
from curation.generate.runner import check_failures, run_requests
from curation.progress import stderr_console
from curation.rows import StageFailed
from curation.stages.base import Stage, StageParams

# Params that say where and how fast to ask, not what: they do not change the content id.
OPERATIONAL = (*ConnectionSettings.model_fields, "max_failure_rate")
SAMPLING_FIELDS = ("max_new_tokens", "temperature", "top_p", "top_k", "seed")


class GenerationSettings(ConnectionSettings):
    """Which model to ask, through which backend, and how to sample it; where to ask (base_url, concurrency,
    ...) comes from ConnectionSettings. Shared by the generating stages' params and the loop's roles."""

    backend: str = Field("openai", description=f"generation backend: {', '.join(BACKENDS)}")
    model: str = Field("", description="model id (server name, local path, or 'synthetic-teacher')")
    preset: PresetName = Field("greedy", description="sampling preset: greedy (the paper's inference setting), "
                               "sampling (T=0.6, top_p=0.95), rollout (T=1.0)")
    max_new_tokens: int | None = Field(None, gt=0, description="override the preset's max_new_tokens")
    temperature: float | None = Field(None, ge=0, description="override the preset's temperature")
    top_p: float | None = Field(None, gt=0, le=1, description="override the preset's top_p")
    top_k: int | None = Field(None, description="override the preset's top_k (0 or less: no limit)")
    seed: int | None = Field(None, description="base seed; each sample's request adds its sample index")
    system_prompt: str | None = Field(None, description="system message before the prompt")


class GenerationParams(StageParams, GenerationSettings):
    """A generating stage's params: the generation settings plus how many failures it tolerates."""

    max_failure_rate: float = Field(0.01, ge=0, le=1, description="fail the stage when a larger share of "
                                    "requests fails for good (instead of writing a smaller dataset)")


class GenerationStage(Stage):
    """Base of caption and reason: subclasses build requests from rows and rows from results."""

    edge_kind: ClassVar[str] = "generated_by"
    params: GenerationParams

    def __init__(self, params: StageParams, ctx: Any) -> None:
        super().__init__(params, ctx)
        self._backend: Backend | None = None
        self._cache: GenerationCache | None = None
        self.stats: list[Any] = []
        self._identities: dict[str, str] = {}

    # -- effective settings ---------------------------------------------------
    def option(self, key: str) -> Any:
        options = self.ctx.options or {}
        for name in (f"{self.ctx.stage_name}.{key}", key):
            if options.get(name) not in (None, ""):
                return options[name]
        return getattr(self.params, key)

    @property
    def backend_name(self) -> str:
        return str(self.option("backend"))

    @property
    def model(self) -> str:
        model = str(self.option("model") or "")
        if not model:
            raise StageFailed(f"stage {self.ctx.stage_name!r}: no model; set `model:` in the recipe or pass --model")
        return model

    @property
    def model_identity(self) -> str:
        """What identifies the model in the content id and the request keys: a local folder registered as a
        model in this store by its catalog id (a content id, the same in any store), anything else by name.
        So a model's rollouts get the same ids and the same sampling seeds wherever the store lives."""
        model = self.model
        if model in self._identities:
            return self._identities[model]
        identity, path, store = model, Path(model), getattr(self.ctx, "store", None)
        if store is not None and path.exists():
            artifact = store.catalog.model_artifact(path=str(path.resolve()))
            identity = f"model:{artifact['id']}" if artifact is not None else model
        self._identities[model] = identity
        return identity

    def sampling(self) -> SamplingParams:
        overrides = {f: getattr(self.params, f) for f in SAMPLING_FIELDS if getattr(self.params, f) is not None}
        if "top_k" in overrides and overrides["top_k"] <= 0:
            overrides["top_k"] = None
        return PRESETS[self.params.preset].model_copy(update=overrides)

    def config(self) -> dict[str, Any]:
        params = self.params.model_dump(mode="json", exclude=set(OPERATIONAL) | {"model", "backend"})
        return {"type": self.type, **params, "backend": self.backend_name, "model": self.model_identity,
                "sampling": self.sampling().model_dump(mode="json"),
                "template_digest": template_digest(self.template())}

    def template(self) -> str:
        return getattr(self.params, "prompt_template", "")

    def lineage_detail(self) -> dict[str, Any]:
        return {self.ctx.stage_name: {"model": self.model, "backend": self.backend_name,
                                      "params": self.sampling().model_dump(mode="json")}}

    def messages(self, content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
        system = [{"role": "system", "content": self.params.system_prompt}] if self.params.system_prompt else []
        return [*system, {"role": "user", "content": content}]

    def params_json(self) -> str:
        return json.dumps(self.sampling().model_dump(mode="json"), sort_keys=True)

    # -- running ----------------------------------------------------------------
    def backend(self) -> Backend:
        if self._backend is None:
            config = BackendConfig(model=self.model, **{**self.params.connection_settings(),
                                                         "base_url": self.option("base_url")})
            try:
                self._backend = make_backend(self.backend_name, config, self.ctx.store.images)
            except (ImportError, ValueError, OSError) as exc:  # unknown backend, missing engine, bad model path
                raise StageFailed(f"stage {self.ctx.stage_name!r} ({self.type}): {exc}") from exc
        return self._backend

    def cache(self) -> GenerationCache:
        if self._cache is None:
            work_dir = self.ctx.work_dir or (self.ctx.store.root / "work" / self.ctx.stage_name)
            self._cache = GenerationCache(work_dir / "generations.sqlite")
        return self._cache

    def generate(self, requests: list[GenerationRequest]) -> dict[str, GenerationResult]:
        """Results by request key; raises GenerationFailed over ``max_failure_rate``."""
        label = self.ctx.stage_name or self.type
        results, stats = run_requests(self.backend(), requests, self.cache(), progress=self.ctx.progress,
                                      label=label)
        self.stats.append(stats)
        if not os.environ.get("THINKSET_QUIET"):
            stderr_console().print(stats.summary(label))
        check_failures(results, stats, self.params.max_failure_rate, label, self.cache())
        return results

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
        if self._cache is not None:
            self._cache.close()
        self._backend = self._cache = None
