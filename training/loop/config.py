"""The loop recipe: one YAML file that describes a whole OpenVLThinker self-improvement loop.

    name: demo
    base_model: tiny                      # a local folder, a hub id, or `tiny` (training/tiny_model.py)
    pool: {name: pool-demo, synthetic: {n: 400, seed: 0}}
    eval: {name: eval-demo, synthetic: {n: 24, seed: 7}}
    roles:
      captioner: {backend: synthetic, model: synthetic-teacher}
      reasoner: {backend: synthetic, model: synthetic-teacher}
      policy: {backend: transformers, max_new_tokens: 32}
    presets: {sft: tiny, grpo: tiny}
    iterations:
      - {sft: {problems: 24, k: 4}, grpo: {problems: 12, k: 2}}
      - {sft: {problems: 16, k: 2}, grpo: {problems: 12, k: 2}}

Every field documents itself (pydantic descriptions); a bad file raises LoopConfigError
naming the file and the field.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from curation.generate.base import PresetName
from curation.generate.stage import GenerationSettings
from curation.redact import redact_text
from curation.safe_paths import check_snapshot_name

TINY_BASE = "tiny"


class LoopConfigError(ValueError):
    """A loop recipe that cannot run; the message names the file and the field."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SyntheticSource(Strict):
    n: int = Field(gt=0, description="problems to draw")
    seed: int = Field(0, description="seed of the synthetic pool")


class SnapshotSource(Strict):
    name: str = Field(description="snapshot NAME or NAME@vN")
    synthetic: SyntheticSource | None = Field(None, description="draw a synthetic pool under this name when the "
                                              "store has none (demos and tests)")


class EvalSplit(SnapshotSource):
    limit: int | None = Field(None, gt=0, description="score the first N problems only")
    max_new_tokens: int | None = Field(None, gt=0, description="override the inference preset's 2048 tokens")
    backend: str | None = Field(None, description="backend for evaluation (default: the policy role's)")


class Role(GenerationSettings):
    """Who generates: the generating stages' settings (backend, model, preset, sampling overrides, connection);
    the policy's model is the loop's current one."""

    preset: PresetName | None = Field(None, description="sampling preset (default per use: greedy captions, "
                                      "sampling for k samples, rollout for difficulty rollouts)")
    seed: int | None = Field(1234, description=GenerationSettings.model_fields["seed"].description)


class Roles(Strict):
    captioner: Role = Field(default_factory=lambda: Role(model="Qwen/Qwen2.5-VL-3B-Instruct"),
                            description="captions images for iteration 1 (paper: Qwen2.5-VL-3B)")
    reasoner: Role = Field(default_factory=lambda: Role(model="deepseek-ai/DeepSeek-R1-Distill-Qwen-14B"),
                           description="text reasoner of iteration 1 (paper: R1-Distill-Qwen-14B)")
    policy: Role = Field(default_factory=lambda: Role(backend="vllm"),
                         description="how the loop's own models generate (rejection sampling, rollouts, eval)")


class Presets(Strict):
    sft: str = Field("openvlthinker-sft", description="SFT preset (`thinkset train presets sft`)")
    grpo: str = Field("openvlthinker-grpo", description="GRPO preset (`thinkset train presets grpo`)")
    sft_set: list[str] = Field(default_factory=list, description="SFT preset overrides, KEY=VALUE")
    grpo_set: list[str] = Field(default_factory=list, description="GRPO preset overrides, KEY=VALUE")


class SFTData(Strict):
    problems: int = Field(gt=0, description="pool problems sampled for this iteration's SFT data")
    k: int = Field(4, gt=0, description="samples per problem (paper: 4)")
    max_words: int = Field(500, gt=0, description="length filter cut (paper: 500 words)")
    max_rows: int | None = Field(None, gt=0, description="most SFT rows kept (paper: 25k in iteration 1, 5k "
                                 "later), chosen by the mix stage in the source shares")
    shares: dict[str, float] = Field(default_factory=dict, description="source -> fraction of the sampled "
                                     "problems and of the kept rows (the paper's later iterations grow geometry)")
    min_rows: int = Field(1, ge=0, description="fewest SFT rows the iteration accepts")
    fallback: Literal["fail", "reasoner"] = Field(
        "fail", description="when rejection sampling (iteration > 1) keeps fewer than min_rows: fail, or build "
        "this iteration's data with the captioner + reasoner instead (linked to the policy's rollouts)")
    stages: list[dict[str, Any]] = Field(default_factory=list, description="extra stages after sampling (e.g. "
                                         "a source mix), as in a recipe")


class GRPOData(Strict):
    problems: int = Field(gt=0, description="pool problems the SFT model is rolled out on")
    k: int = Field(4, gt=0, description="rollouts per problem for the pass rate")
    selection: dict[str, Any] = Field(default_factory=dict, description="params of the difficulty stage "
                                      "(min_pass_rate, max_pass_rate, quotas, shares ...)")
    stages: list[dict[str, Any]] = Field(default_factory=list, description="extra stages after sampling")


class Iteration(Strict):
    sft: SFTData
    grpo: GRPOData


class LoopConfig(Strict):
    name: str = Field(description="loop name; prefixes every artifact (a snapshot name: letters, digits, '.', "
                      "'_', '-')")
    description: str = Field("", description="what this loop is, for people")
    base_model: str = Field(description=f"base model of every SFT (paper's rule): folder, hub id, or "
                            f"'{TINY_BASE}' for the tiny random-weight test model")
    pool: SnapshotSource = Field(description="the problem pool every iteration samples from")
    grpo_pool: SnapshotSource | None = Field(None, description="a separate pool for GRPO problems (paper: "
                                             "adds CLEVR/SuperCLEVR); default: disjoint samples of `pool`")
    eval: EvalSplit = Field(description="the eval split: decontaminated against, and every model scored on")
    roles: Roles = Field(default_factory=Roles)
    presets: Presets = Field(default_factory=Presets)
    decontaminate: bool = Field(True, description="drop training problems that overlap the eval split "
                                "(when the decontaminate stage is installed)")
    seed: int = Field(0, description="seed of the per-iteration problem samples")
    cpu_threads: int | None = Field(None, gt=0, description="torch CPU threads for in-process training and "
                                    "generation (1 for the tiny model: a model that small spends more time "
                                    "synchronizing threads than computing); default: torch's")
    iterations: list[Iteration] = Field(min_length=1, description="sizes per iteration; --iterations beyond "
                                        "the list repeat the last entry")
    path: str | None = Field(None, description="the file this loop was loaded from")
    digest: str = Field("", description="sha256 of the file's text")

    @field_validator("name")
    @classmethod
    def _a_snapshot_name(cls, name: str) -> str:
        # checked here, not at the first snapshot the loop writes (after its base eval has run)
        return check_snapshot_name(name, "loop name (the prefix of every snapshot it makes)")

    @model_validator(mode="after")
    def _policy_has_no_model(self) -> LoopConfig:
        if self.roles.policy.model:
            raise ValueError("roles.policy.model: leave empty; the policy is the loop's current model "
                             "(the SFT model, then the GRPO model of the previous iteration)")
        return self

    def iteration(self, index: int) -> Iteration:
        """Settings of iteration ``index`` (1-based); later iterations repeat the last entry."""
        return self.iterations[min(index, len(self.iterations)) - 1]

    def record(self) -> dict[str, Any]:
        """What the catalog keeps of this loop (``loops.config``): every field, server URLs with their
        credentials redacted (a role's ``base_url`` may carry ``user:password@`` or ``?api_key=``)."""
        return _redacted(self.model_dump(mode="json", exclude={"path", "digest"}))

    def fingerprint(self) -> str:
        data = self.model_dump(mode="json", exclude={"path", "digest", "description"})
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    return [_redacted(item) for item in value] if isinstance(value, list) else value


def _where(error: dict[str, Any]) -> str:
    return ".".join(str(part) for part in error["loc"]) or "(top level)"


def loop_from_dict(data: Any, where: str = "<loop>", text: str = "") -> LoopConfig:
    if not isinstance(data, dict):
        raise LoopConfigError(f"{where}: a loop recipe is a YAML mapping with name, base_model, pool, eval and "
                              "iterations")
    try:
        return LoopConfig.model_validate({**data, "path": where, "digest": hashlib.sha256(text.encode()).hexdigest()})
    except ValidationError as exc:
        raise LoopConfigError("\n".join(f"{where}: {_where(e)}: {e['msg']}" for e in exc.errors())) from None


def load_loop(path: str | Path) -> LoopConfig:
    """Read and validate a loop recipe; raises LoopConfigError naming the file and field."""
    where = str(path)
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        raise LoopConfigError(f"{where}: no such loop recipe") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LoopConfigError(f"{where}: malformed YAML: {exc}") from None
    return loop_from_dict(data, where, text)
