"""GRPO on CPU: after a few SFT steps, rewards see each row's own solution, vary, and drive a gradient."""

from __future__ import annotations

import pytest

from curation.store import Store
from training import rewards
from training.grpo import train_grpo
from training.presets import PresetError
from training.rewards import completion_text
from training.sft import train_sft


def prompt_text(prompt) -> str:
    return "".join(block.get("text") or "" for message in prompt for block in message["content"])


@pytest.mark.slow
def test_grpo_rewards_receive_each_rows_solution(overfit_store: Store, tiny_model_dir, tmp_path, monkeypatch):
    expected = {row["problem"].strip(): row["answer"]
                for row in overfit_store.open("grpo-small").read().iter_rows(named=True)}
    seen: list[tuple[str, str]] = []

    def solution_spy(completions, prompts, solution, **kwargs):
        for prompt, answer in zip(prompts, solution, strict=True):
            seen.append((prompt_text(prompt), answer))
        return [0.0 for _ in completions]

    monkeypatch.setitem(rewards.REWARDS, "solution_spy", solution_spy)
    sft = train_sft("sft-small", base=str(tiny_model_dir), output_dir=tmp_path / "sft", preset="tiny",
                    store=overfit_store, overrides=["max_steps=16", "learning_rate=2e-2"])
    result = train_grpo("grpo-small", base=str(sft.output_dir), output_dir=tmp_path / "grpo", preset="tiny",
                        store=overfit_store, overrides=["rewards=[accuracy, format, solution_spy]"])

    assert seen, "the spy reward was never called"
    for text, answer in seen:  # each completion is scored against its own row's answer
        problem = next(p for p in expected if text.startswith(p))
        assert answer == expected[problem]
    steps = [entry for entry in result.log_history if "reward" in entry]
    assert len(steps) == 3
    for key in ("rewards/accuracy_reward/mean", "rewards/format_reward/mean", "rewards/solution_spy/mean"):
        assert all(key in entry for entry in steps), key
    assert sum(e["rewards/accuracy_reward/mean"] + e["rewards/format_reward/mean"] for e in steps) > 0
    assert max(e["reward_std"] for e in steps) > 0
    assert max(e["grad_norm"] for e in steps) > 0
    trained_on = overfit_store.catalog.query(
        "SELECT e.kind FROM edges e WHERE e.dst_id = ? ORDER BY e.kind", [result.artifact_id])
    assert [e["kind"] for e in trained_on] == ["fine_tuned_from", "trained_on"]


def test_a_batch_of_prompts_of_different_lengths_trains(tmp_path, tiny_model_dir):
    """Several prompts of different lengths per GRPO batch (issue 13.2): the processor must pad them on the
    left like TRL pads the prompt ids, or Qwen2.5-VL's rope index reads the image at the wrong positions
    ("shape mismatch")."""
    from curation.sources.pool import write_synthetic_pool

    store = Store(tmp_path / "store")
    pool = write_synthetic_pool(store, n=4, seed=7, name="pool-mixed")
    assert len({len(p) for p in store.open(pool.ref).read()["problem"]}) > 1  # prompts of different lengths
    result = train_grpo("pool-mixed", base=str(tiny_model_dir), output_dir=tmp_path / "grpo", preset="tiny",
                        store=store, overrides=["max_steps=1", "global_batch_size=4", "rollout_batch_size=4",
                                                "per_device_train_batch_size=16", "max_completion_length=8"])
    assert [e for e in result.log_history if "reward" in e]  # one step ran, its 4 prompts in one batch


def test_vllm_without_a_gpu_is_explained(overfit_store, tiny_model_dir, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(PresetError, match="use_vllm=true needs the vllm extra"):
        train_grpo("grpo-small", base=str(tiny_model_dir), output_dir=tmp_path / "o", preset="tiny",
                   store=overfit_store, overrides=["use_vllm=true"])


def test_completion_text_reads_both_shapes():
    assert completion_text([{"role": "assistant", "content": "a"}]) == "a"
    assert completion_text("b") == "b"
