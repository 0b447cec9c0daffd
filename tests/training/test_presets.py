"""Presets: the paper's figures, mapped onto TRL's terms, overridable from YAML and --set."""

from __future__ import annotations

import pytest

from training.presets import PresetError, describe, load_preset, parse_set


def test_paper_sft_preset_maps_global_batch_onto_accumulation(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "8")
    preset = load_preset("sft", "openvlthinker-sft")
    args = preset.trl_args()
    assert (args["learning_rate"], args["lr_scheduler_type"], args["warmup_steps"], args["num_train_epochs"]) == \
        (5e-7, "cosine", 0.1, 1.0)
    assert args["bf16"] and preset.max_pixels == 262144 and preset.from_base
    assert args["per_device_train_batch_size"] * args["gradient_accumulation_steps"] * 8 == 32


def test_paper_grpo_preset_maps_rollout_and_global_batch(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "8")
    preset = load_preset("grpo", "openvlthinker-grpo")
    args = preset.trl_args()
    assert (args["learning_rate"], args["weight_decay"], args["warmup_steps"], args["max_grad_norm"],
            args["temperature"], args["max_completion_length"]) == (1e-6, 1e-2, 0.0, 1.0, 1.0, 2048)
    completions_per_step = args["per_device_train_batch_size"] * args["gradient_accumulation_steps"] * 8
    assert completions_per_step == 128 * preset.num_generations
    assert args["generation_batch_size"] == 512 * preset.num_generations
    assert args["use_vllm"] is False and "vllm_mode" not in args


def test_yaml_then_set_overrides(tmp_path):
    config = tmp_path / "mine.yaml"
    config.write_text("learning_rate: 1.0e-5\nlora:\n  r: 4\n")
    preset = load_preset("grpo", "openvlthinker-grpo", config_file=config,
                         overrides=["lora.alpha=8", "use_vllm=true", "vllm_mode=server",
                                    "trl={vllm_server_timeout: 60}", "rewards=[accuracy, length_penalty]"])
    assert preset.learning_rate == 1e-5 and preset.lora.r == 4 and preset.lora.alpha == 8
    args = preset.trl_args()
    assert args["use_vllm"] and args["vllm_mode"] == "server" and args["vllm_server_timeout"] == 60
    assert preset.rewards == ["accuracy", "length_penalty"]


@pytest.mark.parametrize(("mode", "name", "sets", "message"), [
    ("sft", "openvlthinker-grpo", [], "no sft preset 'openvlthinker-grpo'; choose one of"),
    ("sft", "tiny", ["learning_rat=1"], "learning_rat: Extra inputs are not permitted"),
    ("grpo", "tiny", ["num_generations=1"], "num_generations: Input should be greater than or equal to 2"),
    ("sft", "tiny", ["oops"], "write KEY=VALUE"),
])
def test_bad_overrides_name_the_field(mode, name, sets, message):
    with pytest.raises(PresetError, match=message):
        load_preset(mode, name, overrides=sets)


def test_batch_that_does_not_divide_is_explained():
    preset = load_preset("sft", "tiny", overrides=["global_batch_size=6", "per_device_train_batch_size=4"])
    with pytest.raises(PresetError, match="global batch of 6 rows is not a multiple"):
        preset.trl_args()


def test_every_field_documents_itself():
    assert parse_set(["a.b=1", "a.c=[1, 2]", "d="]) == {"a": {"b": 1, "c": [1, 2]}, "d": None}
    for mode in ("sft", "grpo"):
        assert all(help_text for _, _, _, help_text in describe(mode))
