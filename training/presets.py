"""Training presets: typed, documented, overridable from a YAML file and ``--set key=value``.

A preset holds the paper's figures in the paper's terms (global batch, rollout
batch) and maps them onto TRL's config (per-device batch x gradient
accumulation x processes; generation batch). ``trl`` passes any other
SFTConfig/GRPOConfig field through unchanged, so nothing TRL offers is out of
reach. ``thinkset train presets`` prints every field with its help text.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from curation.params_help import describe_fields


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


class PresetError(ValueError):
    """A preset name, override or YAML file is invalid; the message says which field and what to do."""


class LoraOptions(BaseModel):
    """LoRA through peft (QLoRA with ``load_in_4bit``, which needs bitsandbytes and a GPU)."""

    model_config = ConfigDict(extra="forbid")
    r: int = Field(16, gt=0, description="LoRA rank")
    alpha: int = Field(32, gt=0, description="LoRA alpha (scaling = alpha / r)")
    dropout: float = Field(0.05, ge=0, lt=1, description="dropout on the LoRA branch")
    target_modules: list[str] | str = Field(
        "all-linear", description="modules to adapt: 'all-linear' or a list such as [q_proj, v_proj]")
    load_in_4bit: bool = Field(False, description="QLoRA: load the base model in 4 bit (bitsandbytes, GPU)")


class CommonPreset(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    description: str = Field("", description="what this preset is for")
    learning_rate: float = Field(5e-7, gt=0, description="peak learning rate")
    lr_scheduler_type: str = Field("cosine", description="transformers scheduler name")
    warmup_ratio: float = Field(0.1, ge=0, lt=1, description="share of steps spent warming up (passed to "
                                                             "transformers as a fractional warmup_steps)")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay")
    max_grad_norm: float = Field(1.0, gt=0, description="gradient clipping norm")
    num_train_epochs: float = Field(1.0, gt=0, description="epochs over the snapshot")
    max_steps: int = Field(-1, description="stop after this many optimizer steps (-1: run the epochs)")
    global_batch_size: int = Field(32, gt=0, description="rows per optimizer step over all devices")
    per_device_train_batch_size: int = Field(1, gt=0, description="rows per device per forward pass")
    gradient_checkpointing: bool = Field(True, description="trade compute for activation memory")
    bf16: bool = Field(True, description="bfloat16 training (GPU)")
    seed: int = Field(42, description="random seed")
    logging_steps: int = Field(1, gt=0, description="log every N optimizer steps")
    save_strategy: Literal["no", "steps", "epoch", "best"] = Field("no", description="intermediate checkpoints")
    report_to: list[str] = Field(default_factory=lambda: ["none"],
                                 description="trackers TRL supports: tensorboard, wandb, trackio, ... ('none': only "
                                             "the output dir)")
    max_pixels: int = Field(262144, gt=0, description="images resized to at most this many pixels (paper: 262144)")
    min_pixels: int = Field(3136, gt=0, description="images resized to at least this many pixels")
    instruction: str | None = Field(None, description="text after the question; None: the default think/answer "
                                                      "instruction of training.data")
    limit: int | None = Field(None, gt=0, description="train on the first N rows only (smoke tests)")
    lora: LoraOptions | None = Field(None, description="LoRA/QLoRA through peft; None trains all weights")
    trl: dict[str, Any] = Field(default_factory=dict, description="any other SFTConfig/GRPOConfig field, passed as is")

    def world_size(self) -> int:
        return int(os.environ.get("WORLD_SIZE", "1"))

    def gradient_accumulation_steps(self, rows_per_step: int | None = None) -> int:
        """Accumulation that makes per-device batch x processes x accumulation = the global batch."""
        rows = rows_per_step if rows_per_step is not None else self.global_batch_size
        per_step = self.per_device_train_batch_size * self.world_size()
        if rows % per_step:
            raise PresetError(f"global batch of {rows} rows is not a multiple of per_device_train_batch_size "
                              f"({self.per_device_train_batch_size}) x processes ({self.world_size()}); change "
                              "global_batch_size or per_device_train_batch_size")
        return rows // per_step

    def common_trl_args(self) -> dict[str, Any]:
        return dict(
            learning_rate=self.learning_rate, lr_scheduler_type=self.lr_scheduler_type, warmup_steps=self.warmup_ratio,
            weight_decay=self.weight_decay, max_grad_norm=self.max_grad_norm, num_train_epochs=self.num_train_epochs,
            max_steps=self.max_steps, per_device_train_batch_size=self.per_device_train_batch_size,
            gradient_checkpointing=self.gradient_checkpointing, bf16=self.bf16, seed=self.seed,
            logging_steps=self.logging_steps, save_strategy=self.save_strategy, report_to=self.report_to,
            dataloader_pin_memory=_has_cuda(),
        )


class SFTPreset(CommonPreset):
    """Supervised fine-tuning on curated traces (LLaMA-Factory's role in the paper)."""

    max_length: int | None = Field(4096, description="truncate sequences to this many tokens (None: no limit)")
    assistant_only_loss: bool = Field(True, description="loss on the assistant turn only, as LLaMA-Factory does")
    from_base: bool = Field(True, description="paper: every iteration's SFT starts from the base model; refuse a "
                                              "thinkset-trained model as --base unless this is false")

    def trl_args(self) -> dict[str, Any]:
        return {**self.common_trl_args(), "gradient_accumulation_steps": self.gradient_accumulation_steps(),
                "max_length": self.max_length, "assistant_only_loss": self.assistant_only_loss, **self.trl}


class GRPOPreset(CommonPreset):
    """GRPO on verifiable rewards (EasyR1's role in the paper). Batch sizes count prompts, as EasyR1 does."""

    num_generations: int = Field(5, ge=2, description="completions per prompt (EasyR1's default rollout n)")
    rollout_batch_size: int = Field(512, gt=0, description="prompts generated per rollout (paper: 512)")
    max_completion_length: int = Field(2048, gt=0, description="max new tokens per completion")
    temperature: float = Field(1.0, gt=0, description="rollout sampling temperature (paper: 1.0)")
    top_p: float = Field(1.0, gt=0, le=1, description="rollout nucleus sampling")
    beta: float = Field(0.01, ge=0, description="KL coefficient against the reference model (0 = no ref model)")
    loss_type: str = Field("grpo", description="TRL loss type: grpo, dapo, dr_grpo, bnpo, ...")
    rewards: list[str] = Field(default_factory=lambda: ["accuracy", "format"],
                               description="reward functions from training.rewards, by name")
    reward_weights: list[float] | None = Field(None, description="one weight per reward (None: all 1.0)")
    use_vllm: bool = Field(False, description="generate with vLLM (needs the vllm extra and a GPU)")
    vllm_mode: Literal["server", "colocate"] = Field("colocate", description="vLLM in this process or a server")
    vllm_server_base_url: str | None = Field(None, description="server mode: URL of `trl vllm-serve`")
    vllm_gpu_memory_utilization: float = Field(0.3, gt=0, le=1, description="colocate mode: GPU share for vLLM")
    log_completions: bool = Field(False, description="log sample completions with their rewards")

    def trl_args(self) -> dict[str, Any]:
        completions_per_step = self.global_batch_size * self.num_generations
        args = {**self.common_trl_args(),
                "gradient_accumulation_steps": self.gradient_accumulation_steps(completions_per_step),
                "generation_batch_size": self.rollout_batch_size * self.num_generations,
                "num_generations": self.num_generations, "max_completion_length": self.max_completion_length,
                "temperature": self.temperature, "top_p": self.top_p, "beta": self.beta,
                "loss_type": self.loss_type, "reward_weights": self.reward_weights,
                "log_completions": self.log_completions, "use_vllm": self.use_vllm}
        if self.use_vllm:
            args.update(vllm_mode=self.vllm_mode, vllm_gpu_memory_utilization=self.vllm_gpu_memory_utilization)
            if self.vllm_server_base_url:
                args["vllm_server_base_url"] = self.vllm_server_base_url
        return {**args, **self.trl}


PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "sft": {
        "openvlthinker-sft": dict(
            description="paper SFT: bf16, lr 5e-7, global batch 32, cosine, warmup 0.1, 1 epoch, 262144 px"),
        "tiny": dict(description="CPU smoke run of a tiny model: a few steps, fp32", learning_rate=5e-3,
                     lr_scheduler_type="constant", warmup_ratio=0.0, global_batch_size=4, per_device_train_batch_size=4,
                     max_steps=8, bf16=False, gradient_checkpointing=False, max_pixels=112 * 112, min_pixels=28 * 28,
                     max_length=512),
    },
    "grpo": {
        "openvlthinker-grpo": dict(
            description="paper GRPO: lr 1e-6, wd 1e-2, warmup 0, grad norm 1.0, temperature 1.0, rollout batch "
                        "512, global batch 128 prompts", learning_rate=1e-6, weight_decay=1e-2, warmup_ratio=0.0,
            lr_scheduler_type="constant", global_batch_size=128, per_device_train_batch_size=8),
        "tiny": dict(description="CPU smoke run of a tiny model: a few steps, fp32, no KL", learning_rate=1e-3,
                     lr_scheduler_type="constant", warmup_ratio=0.0, global_batch_size=2, rollout_batch_size=2,
                     per_device_train_batch_size=8, num_generations=4, max_completion_length=24, max_steps=3,
                     beta=0.0, bf16=False, gradient_checkpointing=False, max_pixels=112 * 112, min_pixels=28 * 28),
    },
}
PRESET_CLASSES: dict[str, type[CommonPreset]] = {"sft": SFTPreset, "grpo": GRPOPreset}


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    *parents, leaf = key.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {}) if isinstance(node.get(part), dict) or part not in node else node[part]
        if not isinstance(node, dict):
            raise PresetError(f"--set {key}: {part!r} is not a group of fields")
    node[leaf] = value


def parse_set(items: list[str]) -> dict[str, Any]:
    """``["lr=1e-5", "lora.r=8"]`` -> nested dict; values are YAML (numbers, lists, null, true)."""
    data: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise PresetError(f"--set {item!r}: write KEY=VALUE, e.g. --set learning_rate=1e-5 or --set lora.r=8")
        _set_dotted(data, key.strip(), yaml.safe_load(raw) if raw.strip() else None)
    return data


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_preset(mode: str, name: str, *, config_file: str | Path | None = None,
                overrides: list[str] | None = None) -> CommonPreset:
    """The preset ``name`` for ``mode`` (sft|grpo), then the YAML file's fields, then ``--set`` overrides."""
    if name not in PRESETS[mode]:
        raise PresetError(f"no {mode} preset {name!r}; choose one of: {', '.join(PRESETS[mode])}")
    data: dict[str, Any] = dict(PRESETS[mode][name])
    if config_file is not None:
        loaded = yaml.safe_load(Path(config_file).read_text()) or {}
        if not isinstance(loaded, dict):
            raise PresetError(f"{config_file}: expected a mapping of preset fields, got {type(loaded).__name__}")
        data = _merge(data, loaded)
    data = _merge(data, parse_set(overrides or []))
    if isinstance(data.get("lora"), dict) and PRESETS[mode][name].get("lora") is None:
        data["lora"] = {**LoraOptions().model_dump(), **data["lora"]}
    try:
        return PRESET_CLASSES[mode](**data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        where = f" (after {config_file})" if config_file else ""
        raise PresetError(f"{mode} preset {name!r}{where}: {problems}. See `thinkset train presets`.") from None


def describe(mode: str) -> list[tuple[str, str, str, str]]:
    """(field, type, default, help) for every field of the ``mode`` preset, for the CLI and docs."""
    return [(f.name, f.type, f.default_text(), f.help) for f in describe_fields(PRESET_CLASSES[mode])]
