"""GRPO from a curated snapshot with TRL's GRPOTrainer and verifiable rewards (EasyR1's role in the paper)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from curation.store import Store
from training.artifacts import TrainResult, finish_run
from training.data import DEFAULT_INSTRUCTION, trainer_dataset
from training.loading import load_for_training, load_processor
from training.presets import GRPOPreset, PresetError, load_preset
from training.rewards import reward_functions

log = logging.getLogger(__name__)


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


def train_grpo(snapshot_ref: str, *, base: str, output_dir: str | Path,
               preset: str | GRPOPreset = "openvlthinker-grpo", overrides: list[str] | None = None,
               config_file: str | Path | None = None, store: Store | None = None,
               model_name: str | None = None, callbacks: list[Any] | None = None) -> TrainResult:
    """GRPO-train ``base`` on the prompts of ``snapshot_ref`` (grpo, pool or sft kind); save, card, register.

    Rewards are the preset's ``rewards`` (names in ``training.rewards.REWARDS``); each receives the rows'
    ``solution`` and ``choices`` columns.
    """
    from trl import GRPOConfig, GRPOTrainer

    store = store or Store()
    preset_name = preset if isinstance(preset, str) else "custom"
    options = load_preset("grpo", preset, config_file=config_file, overrides=overrides) \
        if isinstance(preset, str) else preset
    assert isinstance(options, GRPOPreset)
    check_vllm(options)
    if options.reward_weights is not None and len(options.reward_weights) != len(options.rewards):
        raise PresetError(f"reward_weights has {len(options.reward_weights)} values for {len(options.rewards)} "
                          f"rewards ({', '.join(options.rewards)}); give one weight per reward")
    rewards = reward_functions(options.rewards)
    snapshot = store.open(snapshot_ref)
    output = Path(output_dir)
    dataset = trainer_dataset(snapshot, store, "grpo", instruction=options.instruction or DEFAULT_INSTRUCTION,
                              min_pixels=options.min_pixels, max_pixels=options.max_pixels, limit=options.limit)
    processor = load_processor(base, max_pixels=options.max_pixels, min_pixels=options.min_pixels)
    model, peft_config = load_for_training(base, bf16=options.bf16, lora=options.lora)
    config = GRPOConfig(output_dir=str(output), **options.trl_args())
    trainer = GRPOTrainer(model=model, reward_funcs=rewards, args=config, train_dataset=dataset,
                          processing_class=processor, peft_config=peft_config, callbacks=callbacks)
    started = time.perf_counter()
    train_output = trainer.train()
    metrics = {**train_output.metrics, "wall_seconds": round(time.perf_counter() - started, 3)}
    log.info("GRPO done: %s steps", train_output.global_step)
    return finish_run(mode="grpo", trainer=trainer, processor=processor, output_dir=output, store=store,
                      snapshot=snapshot, base=str(base), preset_name=preset_name, preset=options,
                      rows_used=len(dataset), train_metrics=metrics, model_name=model_name)
