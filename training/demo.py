"""The demo's training step: a tiny SFT and a tiny GRPO run on the demo's curated snapshots, on CPU.

The SFT runs long enough (``SFT_OVERRIDES``) for the random-weight tiny model to write the trace
format of ``curation.verify.trace_format`` in some of its samples and not in others, so the GRPO
rewards vary within a group and the policy gets a gradient; ``grpo_reward_summary`` reports what
the rewards reached. Both runs use one CPU thread: a model this small spends more time
synchronizing threads than computing, and on a busy machine idle threads spin.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from statistics import fmean
from typing import Any

from curation.store import Store
from training.artifacts import TrainResult

# On top of the `tiny` presets. 300 steps of 4 traces (~3 epochs of the demo's 382): the tiny model
# then closes its reasoning with </think><answer>X</answer> in ~80% of its samples (measured over
# three model seeds; at 150 steps one seed never did). A trace is ~50 tokens of the tiny tokenizer,
# so 128 new tokens leave room for a whole one.
SFT_OVERRIDES = ["max_steps=300"]
GRPO_OVERRIDES = ["max_completion_length=128"]


@contextmanager
def cpu_threads(count: int | None) -> Iterator[None]:
    """Run the block with torch using ``count`` CPU threads (None: leave torch's setting alone)."""
    import torch

    before = torch.get_num_threads()
    if count is not None:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def one_cpu_thread() -> Any:
    return cpu_threads(1)


def grpo_reward_summary(result: TrainResult) -> dict[str, Any]:
    """Rewards of a GRPO run from its log: per-step means averaged over the steps.

    ``reward_std`` is TRL's within-group standard deviation; 0 means every completion of a prompt
    scored the same and GRPO learned nothing from it.
    """
    steps = [entry for entry in result.log_history if "reward" in entry]
    if not steps:
        return {"steps": 0}

    def average(key: str) -> float | None:
        values = [float(entry[key]) for entry in steps if key in entry]
        return round(fmean(values), 4) if values else None

    summary = {"steps": len(steps), "reward_mean": average("reward"), "reward_std": average("reward_std")}
    for key in sorted({k for entry in steps for k in entry if k.startswith("rewards/") and k.endswith("/mean")}):
        summary[key.removeprefix("rewards/").removesuffix("/mean") + "_mean"] = average(key)
    return summary


def train_demo(store: Store, *, sft_ref: str, grpo_ref: str, out_dir: str | Path,
               base: str | None = None) -> tuple[TrainResult, TrainResult]:
    """SFT ``base`` (default: a fresh tiny model) on ``sft_ref``, then GRPO the result on ``grpo_ref``.

    Both use the ``tiny`` presets with ``SFT_OVERRIDES`` / ``GRPO_OVERRIDES``; models land in
    ``out_dir/sft`` and ``out_dir/grpo``.
    """
    from training.grpo import train_grpo
    from training.sft import train_sft
    from training.tiny_model import build_tiny_model

    out = Path(out_dir)
    with one_cpu_thread():
        base = base or str(build_tiny_model(out / "tiny-base"))
        sft = train_sft(sft_ref, base=base, output_dir=out / "sft", preset="tiny", overrides=SFT_OVERRIDES,
                        store=store, model_name="demo-sft")
        grpo = train_grpo(grpo_ref, base=str(sft.output_dir), output_dir=out / "grpo", preset="tiny",
                          overrides=GRPO_OVERRIDES, store=store, model_name="demo-grpo")
    return sft, grpo
