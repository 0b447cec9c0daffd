"""SFT on CPU with the tiny model: runs from the demo snapshot, overfits, saves a reloadable folder, registers it."""

from __future__ import annotations

import json

import pytest
from transformers import AutoModelForImageTextToText

from training.loading import load_processor
from training.presets import PresetError
from training.sft import train_sft


def losses(result) -> list[float]:
    return [entry["loss"] for entry in result.log_history if "loss" in entry]


@pytest.mark.slow
def test_sft_overfits_saves_reloads_and_registers(demo_store, tiny_model_dir, tmp_path):
    out = tmp_path / "sft-model"
    result = train_sft("sft-demo@v1", base=str(tiny_model_dir), output_dir=out, preset="tiny", store=demo_store,
                       overrides=["max_steps=12", "limit=4"])
    history = losses(result)
    assert len(history) == 12
    assert sum(history[-3:]) / 3 < 0.8 * sum(history[:3]) / 3  # four rows, many passes: loss must fall

    model = AutoModelForImageTextToText.from_pretrained(out)
    assert model.config.model_type == "qwen2_5_vl"
    assert load_processor(out).chat_template == load_processor(tiny_model_dir).chat_template

    run = json.loads((out / "thinkset_training.json").read_text())
    snapshot = demo_store.open("sft-demo@v1").info
    assert (run["snapshot"], run["snapshot_id"], run["rows_used"], run["preset"]) == ("sft-demo@v1", snapshot.id, 4,
                                                                                      "tiny")
    card = (out / "README.md").read_text()
    assert "sft-demo@v1" in card and snapshot.id in card and str(tiny_model_dir) in card and "train_loss" in card

    edges = demo_store.catalog.query(
        "SELECT e.kind, a.kind AS artifact_kind, a.path FROM edges e JOIN artifacts a ON a.id = e.dst_id "
        "WHERE e.src_id = ? AND e.kind = 'trained_on'", [snapshot.id])
    assert edges == [{"kind": "trained_on", "artifact_kind": "model", "path": str(out.resolve())}]
    assert any(e["kind"] == "trained_on" for e in demo_store.lineage(result.artifact_id))


def test_sft_refuses_a_trained_model_as_base(demo_store, tmp_path):
    trained = tmp_path / "trained"
    trained.mkdir()
    (trained / "thinkset_training.json").write_text(json.dumps(
        {"mode": "sft", "snapshot": "sft-demo@v1", "base_model": "Qwen/Qwen2.5-VL-7B-Instruct"}))
    with pytest.raises(PresetError, match="starts every SFT from the base model.*Qwen2.5-VL-7B-Instruct"):
        train_sft("sft-demo", base=str(trained), output_dir=tmp_path / "out", preset="tiny", store=demo_store)


@pytest.mark.slow
def test_lora_run_saves_a_merged_standard_folder(overfit_store, tiny_model_dir, tmp_path):
    out = tmp_path / "lora"
    result = train_sft("sft-small", base=str(tiny_model_dir), output_dir=out, preset="tiny", store=overfit_store,
                       overrides=["max_steps=2", "lora.r=4", "lora.target_modules=[q_proj, v_proj]"])
    assert result.metrics["step"] == 2
    assert not (out / "adapter_config.json").exists()  # merged: loads without peft
    model = AutoModelForImageTextToText.from_pretrained(out)
    assert not any("lora" in name for name, _ in model.named_parameters())
