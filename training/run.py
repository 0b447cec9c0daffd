"""What SFT and GRPO runs share: resolve the preset, build the trainer data, load model and processor,
train, then save, card and register the model."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from curation.store import Snapshot, Store
from training.artifacts import TrainResult, finish_run
from training.data import DEFAULT_INSTRUCTION, trainer_dataset
from training.loading import load_for_training, load_processor
from training.presets import load_preset

log = logging.getLogger(__name__)


@dataclass
class RunInputs:
    store: Store
    preset_name: str
    options: Any  # SFTPreset | GRPOPreset
    snapshot: Snapshot
    output: Path
    dataset: Any
    processor: Any
    model: Any
    peft_config: Any


def prepare_run(mode: Literal["sft", "grpo"], snapshot_ref: str, *, base: str, output_dir: str | Path,
                preset: Any, preset_type: type, overrides: list[str] | None, config_file: str | Path | None,
                store: Store | None, validate: Callable[[Any], None]) -> RunInputs:
    """Everything a trainer needs, with the preset validated before any data or model is loaded."""
    store = store or Store()
    preset_name = preset if isinstance(preset, str) else "custom"
    options = load_preset(mode, preset, config_file=config_file, overrides=overrides) \
        if isinstance(preset, str) else preset
    assert isinstance(options, preset_type)
    validate(options)
    snapshot = store.open(snapshot_ref)
    dataset = trainer_dataset(snapshot, store, mode, instruction=options.instruction or DEFAULT_INSTRUCTION,
                              min_pixels=options.min_pixels, max_pixels=options.max_pixels, limit=options.limit)
    processor = load_processor(base, max_pixels=options.max_pixels, min_pixels=options.min_pixels)
    seed_everything(options.seed)  # LoRA adapters are drawn at load; the trainer re-seeds for data and sampling
    model, peft_config = load_for_training(base, bf16=options.bf16, lora=options.lora)
    return RunInputs(store=store, preset_name=preset_name, options=options, snapshot=snapshot,
                     output=Path(output_dir), dataset=dataset, processor=processor, model=model,
                     peft_config=peft_config)


def seed_everything(seed: int) -> None:
    """Python, numpy and torch RNGs from ``seed``, so a CPU run with a fixed seed gives the same weights."""
    from transformers import set_seed

    set_seed(seed)


def train_and_finish(mode: Literal["sft", "grpo"], trainer: Any, run: RunInputs, *, base: str,
                     model_name: str | None) -> TrainResult:
    started = time.perf_counter()
    train_output = trainer.train()
    metrics = {**train_output.metrics, "wall_seconds": round(time.perf_counter() - started, 3)}
    log.info("%s done: %s steps", mode.upper(), train_output.global_step)
    return finish_run(mode=mode, trainer=trainer, processor=run.processor, output_dir=run.output, store=run.store,
                      snapshot=run.snapshot, base=str(base), preset_name=run.preset_name, preset=run.options,
                      rows_used=len(run.dataset), train_metrics=metrics, model_name=model_name)
