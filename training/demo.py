"""The demo's training step: a tiny SFT and a tiny GRPO run on the demo's curated snapshots, on CPU."""

from __future__ import annotations

from pathlib import Path

from curation.store import Store
from training.artifacts import TrainResult


def train_demo(store: Store, *, sft_ref: str, grpo_ref: str, out_dir: str | Path,
               base: str | None = None) -> tuple[TrainResult, TrainResult]:
    """SFT ``base`` (default: a fresh tiny model) on ``sft_ref``, then GRPO the result on ``grpo_ref``.

    Both use the ``tiny`` presets; models land in ``out_dir/sft`` and ``out_dir/grpo``.
    """
    from training.grpo import train_grpo
    from training.sft import train_sft
    from training.tiny_model import build_tiny_model

    out = Path(out_dir)
    base = base or str(build_tiny_model(out / "tiny-base"))
    sft = train_sft(sft_ref, base=base, output_dir=out / "sft", preset="tiny", store=store, model_name="demo-sft")
    grpo = train_grpo(grpo_ref, base=str(sft.output_dir), output_dir=out / "grpo", preset="tiny", store=store,
                      model_name="demo-grpo")
    return sft, grpo
