"""`thinkset train ...` and `thinkset dev tiny-model` through the real CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from curation.cli import app

runner = CliRunner()


def test_dev_tiny_model_writes_a_loadable_folder(tmp_path):
    result = runner.invoke(app, ["dev", "tiny-model", str(tmp_path / "tiny")])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "tiny" / "config.json").read_text())["model_type"] == "qwen2_5_vl"


def test_presets_lists_fields_with_help():
    result = runner.invoke(app, ["train", "presets", "grpo"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "openvlthinker-grpo" in result.output and "rollout_batch_size" in result.output


def test_bad_preset_and_missing_snapshot_exit_2(demo_store, tiny_model_dir, tmp_path):
    common = ["--base", str(tiny_model_dir), "--out", str(tmp_path / "o"), "--store", str(demo_store.root)]
    bad_preset = runner.invoke(app, ["train", "sft", "sft-demo", *common, "--preset", "nope"])
    assert bad_preset.exit_code == 2 and "no sft preset 'nope'" in bad_preset.output
    missing = runner.invoke(app, ["train", "grpo", "grpo-none", *common, "--preset", "tiny"])
    assert missing.exit_code == 2 and "no snapshot 'grpo-none'" in missing.output


@pytest.mark.slow
def test_demo_trains_sft_then_grpo_and_reports_json(overfit_store, tiny_model_dir, tmp_path):
    result = runner.invoke(app, ["train", "demo", "--sft", "sft-small", "--grpo", "grpo-small", "--base",
                                 str(tiny_model_dir), "--out", str(tmp_path / "demo"), "--store",
                                 str(overfit_store.root), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["sft"]["output_dir"] == str(tmp_path / "demo" / "sft")
    assert report["grpo"]["metrics"]["step"] == 3
    names = {a["name"] for a in overfit_store.artifacts("model")}
    assert names == {"demo-sft", "demo-grpo"}
