"""The loop report's figures and Markdown from known numbers: every model with its interval, every iteration."""

from __future__ import annotations

from PIL import Image

from training.loop.report import accuracy_figure, pass_rate_figure, render_markdown, summary_lines
from training.loop.summary import EvalPoint, IterationSummary, LoopSummary


def summary() -> LoopSummary:
    evals = [EvalPoint(0, "base", 0.25, 40, (0.14, 0.40), {"geo": 0.2}, "e0"),
             EvalPoint(1, "sft", 0.40, 40, (0.26, 0.55), {"geo": 0.3}, "e1"),
             EvalPoint(1, "grpo", 0.50, 40, (0.35, 0.65), {"geo": 0.5}, "e2")]
    item = IterationSummary(1, pass_rate_before=[0.0, 0.25, 0.5, 1.0], pass_rate_after=[0.25, 0.5],
                            source_mix={"sft": {"geo": 3, "chart": 2}})
    steps = [{"iteration": 1, "step": "sft-train", "artifact_ref": "m", "seconds": 12.5}]
    return LoopSummary(name="l", steps=steps, iterations=[item], evals=evals, base_model="base-model")


def test_markdown_lists_each_model_with_its_interval_and_the_pass_rates(tmp_path):
    text = render_markdown(summary(), "accuracy.png", "pass_rate.png")
    assert "| base | 0.250 | [0.140, 0.400] | 40 | geo 0.20 |" in text
    assert "| GRPO-iter1 | 0.500 | [0.350, 0.650] | 40 | geo 0.50 |" in text
    assert "- before selection: 0.00: 1, 0.25: 1, 0.50: 1, 1.00: 1" in text
    assert "- after selection: 0.25: 1, 0.50: 1" in text
    assert "- sft: geo 3, chart 2" in text and "![accuracy across iterations](accuracy.png)" in text
    assert summary_lines(summary())[0] == "iteration 0 (base): accuracy 0.250 [0.140, 0.400]"


def test_figures_are_written(tmp_path):
    for draw, name in ((accuracy_figure, "accuracy.png"), (pass_rate_figure, "pass_rate.png")):
        path = draw(summary(), tmp_path / name)
        with Image.open(path) as image:
            assert image.size[0] > 300 and image.size[1] > 200
