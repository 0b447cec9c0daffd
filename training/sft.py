"""SFT from a curated snapshot with TRL's SFTTrainer (LLaMA-Factory's role in the paper)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from curation.store import Store
from training.artifacts import TrainResult, trained_model_of
from training.presets import PresetError, SFTPreset
from training.run import prepare_run, train_and_finish


def check_base(base: str, preset: SFTPreset) -> None:
    """The paper's rule: SFT starts from the base model every iteration, not from a trained one."""
    record = trained_model_of(base)
    if record is not None and preset.from_base:
        raise PresetError(f"--base {base} is a model thinkset trained ({record.get('mode')} on "
                          f"{record.get('snapshot')}); the paper starts every SFT from the base model "
                          f"({record.get('base_model')}). Pass that, or --set from_base=false to continue anyway.")


def train_sft(snapshot_ref: str, *, base: str, output_dir: str | Path, preset: str | SFTPreset = "openvlthinker-sft",
              overrides: list[str] | None = None, config_file: str | Path | None = None,
              store: Store | None = None, model_name: str | None = None,
              callbacks: list[Any] | None = None) -> TrainResult:
    """Fine-tune ``base`` on the ``sft`` snapshot ``snapshot_ref``; save, card and register the model.

    ``preset`` is a preset name (then ``config_file`` and ``overrides`` apply) or a ready ``SFTPreset``;
    ``callbacks`` are TRL/transformers ``TrainerCallback``s.
    """
    from trl import SFTConfig, SFTTrainer

    run = prepare_run("sft", snapshot_ref, base=base, output_dir=output_dir, preset=preset, preset_type=SFTPreset,
                      overrides=overrides, config_file=config_file, store=store,
                      validate=lambda options: check_base(base, options))
    config = SFTConfig(output_dir=str(run.output), **run.options.trl_args())
    trainer = SFTTrainer(model=run.model, args=config, train_dataset=run.dataset, processing_class=run.processor,
                         peft_config=run.peft_config, callbacks=callbacks)
    return train_and_finish("sft", trainer, run, base=base, model_name=model_name)
