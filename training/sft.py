"""SFT from a curated snapshot with TRL's SFTTrainer (LLaMA-Factory's role in the paper)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from curation.store import Store
from training.artifacts import TrainResult, finish_run, trained_model_of
from training.data import DEFAULT_INSTRUCTION, trainer_dataset
from training.loading import load_for_training, load_processor
from training.presets import PresetError, SFTPreset, load_preset

log = logging.getLogger(__name__)


def check_base(base: str, preset: SFTPreset) -> None:
    """The paper's rule: SFT starts from the base model every iteration, not from a trained one."""
    record = trained_model_of(base)
    if record is not None and preset.from_base:
        raise PresetError(f"--base {base} is a model thinkset trained ({record.get('mode')} on "
                          f"{record.get('snapshot')}); the paper starts every SFT from the base model "
                          f"({record.get('base_model')}). Pass that, or --set from_base=false to continue anyway.")


def train_sft(snapshot_ref: str, *, base: str, output_dir: str | Path, preset: str | SFTPreset = "openvlthinker-sft",
              overrides: list[str] | None = None, config_file: str | Path | None = None,
              store: Store | None = None, model_name: str | None = None) -> TrainResult:
    """Fine-tune ``base`` on the ``sft`` snapshot ``snapshot_ref``; save, card and register the model.

    ``preset`` is a preset name (then ``config_file`` and ``overrides`` apply) or a ready ``SFTPreset``.
    """
    from trl import SFTConfig, SFTTrainer

    store = store or Store()
    preset_name = preset if isinstance(preset, str) else "custom"
    options = load_preset("sft", preset, config_file=config_file, overrides=overrides) \
        if isinstance(preset, str) else preset
    assert isinstance(options, SFTPreset)
    check_base(base, options)
    snapshot = store.open(snapshot_ref)
    output = Path(output_dir)
    dataset = trainer_dataset(snapshot, store, "sft", instruction=options.instruction or DEFAULT_INSTRUCTION,
                              min_pixels=options.min_pixels, max_pixels=options.max_pixels, limit=options.limit)
    processor = load_processor(base, max_pixels=options.max_pixels, min_pixels=options.min_pixels)
    model, peft_config = load_for_training(base, bf16=options.bf16, lora=options.lora)
    trl_args: dict[str, Any] = options.trl_args()
    config = SFTConfig(output_dir=str(output),
                       **trl_args)
    trainer = SFTTrainer(model=model, args=config, train_dataset=dataset, processing_class=processor,
                         peft_config=peft_config)
    started = time.perf_counter()
    train_output = trainer.train()
    metrics = {**train_output.metrics, "wall_seconds": round(time.perf_counter() - started, 3)}
    log.info("SFT done: %s steps, loss %.4f", train_output.global_step, train_output.training_loss)
    return finish_run(mode="sft", trainer=trainer, processor=processor, output_dir=output, store=store,
                      snapshot=snapshot, base=str(base), preset_name=preset_name, preset=options,
                      rows_used=len(dataset), train_metrics=metrics, model_name=model_name)
