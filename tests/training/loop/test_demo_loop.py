"""The shipped demo loop (recipes/demo-iterate.yaml) learns something: its tiny policy scores above zero
after SFT, and iteration 2's rejection sampling from the GRPO-iter1 model keeps rows without the fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from curation.store import Store
from training.loop.config import load_loop
from training.loop.iterate import run_loop
from training.loop.report import write_report

pytestmark = pytest.mark.slow

RECIPE = Path(__file__).resolve().parents[3] / "recipes" / "demo-iterate.yaml"


def test_the_demo_loop_learns_and_samples_its_own_sft_data(tmp_path):
    config = load_loop(RECIPE)
    store = Store(tmp_path / "store")
    run = run_loop(config, store, echo=lambda line: None)
    evals = {f"{i}:{step}": out.detail["accuracy"] for (i, step), out in run.outputs.items() if step.startswith("eval")}
    assert max(accuracy for key, accuracy in evals.items() if key != "0:eval-base") > 0, evals
    rejection = run.outputs[(2, "sft-data")].detail
    assert "fallback" not in rejection and rejection["rows"] >= config.iteration(2).sft.min_rows, rejection
    # issue 13's "done when": 2 sft and 2 grpo snapshots, every grpo prompt with a pass rate, and the report
    assert sum(1 for s in store.list() if s.kind == "sft" and s.name.startswith("demo-iterate-")) == 2
    grpo = [s for s in store.list() if s.kind == "grpo"]
    assert len(grpo) == 2 and all(store.open(s.ref).read()["pass_rate"].null_count() == 0 for s in grpo)
    report, _ = write_report(store, config.name)
    assert report.is_file() and (report.parent / "accuracy.png").stat().st_size > 0
