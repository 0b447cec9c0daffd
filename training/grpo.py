"""GRPO from a curated snapshot with TRL's GRPOTrainer and verifiable rewards (EasyR1's role in the paper)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from curation.store import Store
from training.artifacts import TrainResult
from training.presets import GRPOPreset, PresetError
from training.rewards import reward_functions
from training.run import prepare_run, train_and_finish


def check_vllm(preset: GRPOPreset) -> None:
    """vLLM generation needs the vllm extra and a CUDA device; say so before TRL fails deep inside."""
    if not preset.use_vllm:
        return
    import importlib.util

    import torch

    if importlib.util.find_spec("vllm") is None or not torch.cuda.is_available():
        raise PresetError("use_vllm=true needs the vllm extra (pip install 'thinkset[vllm]') and a CUDA GPU; "
                          "this machine has " + ("no CUDA device" if not torch.cuda.is_available() else "no vllm")
                          + ". Drop --set use_vllm=true to generate with transformers.")


def validate_grpo(preset: GRPOPreset) -> None:
    check_vllm(preset)
    if preset.reward_weights is not None and len(preset.reward_weights) != len(preset.rewards):
        raise PresetError(f"reward_weights has {len(preset.reward_weights)} values for {len(preset.rewards)} "
                          f"rewards ({', '.join(preset.rewards)}); give one weight per reward")
    reward_functions(preset.rewards)  # unknown reward names fail here, before data or model load


def left_pad_prompts(processor: Any) -> None:
    """Make ``processor`` pad prompts on the left, as GRPOTrainer assumes.

    TRL left-pads the prompt ids it generates from, but takes the processor's other outputs as they come;
    for Qwen2.5-VL that includes ``mm_token_type_ids``, where the image tokens are. A tokenizer that pads on
    the right (the tiny model's; Qwen's own config sets no side) puts them at other positions than the
    left-padded ids as soon as a batch holds prompts of different lengths, and the rope index fails with
    "shape mismatch". TRL sets the left side only on a processor it loads itself.
    """
    tokenizer = getattr(processor, "tokenizer", processor)
    tokenizer.padding_side = "left"


def train_grpo(snapshot_ref: str, *, base: str, output_dir: str | Path,
               preset: str | GRPOPreset = "openvlthinker-grpo", overrides: list[str] | None = None,
               config_file: str | Path | None = None, store: Store | None = None,
               model_name: str | None = None, callbacks: list[Any] | None = None) -> TrainResult:
    """GRPO-train ``base`` on the prompts of ``snapshot_ref`` (grpo, pool or sft kind); save, card, register.

    Rewards are the preset's ``rewards`` (names in ``training.rewards.REWARDS``); each receives the rows'
    ``solution`` and ``choices`` columns.
    """
    from trl import GRPOConfig, GRPOTrainer

    run = prepare_run("grpo", snapshot_ref, base=base, output_dir=output_dir, preset=preset,
                      preset_type=GRPOPreset, overrides=overrides, config_file=config_file, store=store,
                      validate=validate_grpo)
    config = GRPOConfig(output_dir=str(run.output), **run.options.trl_args())
    left_pad_prompts(run.processor)
    trainer = GRPOTrainer(model=run.model, reward_funcs=reward_functions(run.options.rewards), args=config,
                          train_dataset=run.dataset, processing_class=run.processor,
                          peft_config=run.peft_config, callbacks=callbacks)
    return train_and_finish("grpo", trainer, run, base=base, model_name=model_name)
