"""`thinkset iterate` end to end on a tiny loop (synthetic teacher, tiny Qwen2.5-VL policy on CPU), killed with
SIGKILL at three points and resumed: the paper's chain of artifacts, nothing finished is redone, and the same
snapshots, models and figures as an uninterrupted run in a fresh store."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from curation.generate.cache import GenerationCache
from curation.store import Store
from tests.store.reliability import store_state
from training.loop.state import LoopState

pytestmark = pytest.mark.slow

LOOP = {
    "name": "t-loop",
    "base_model": "tiny",
    "pool": {"name": "pool-t", "synthetic": {"n": 120, "seed": 0}},
    "eval": {"name": "eval-t", "synthetic": {"n": 6, "seed": 11}, "max_new_tokens": 8},
    "roles": {"captioner": {"backend": "synthetic", "model": "synthetic-teacher"},
              "reasoner": {"backend": "synthetic", "model": "synthetic-teacher"},
              "policy": {"backend": "transformers", "max_new_tokens": 8}},
    "presets": {"sft": "tiny", "grpo": "tiny", "sft_set": ["max_steps=2"],
                # two prompts of different lengths per GRPO batch (they once broke Qwen2.5-VL's rope index)
                "grpo_set": ["max_steps=2", "global_batch_size=2", "rollout_batch_size=2",
                             "per_device_train_batch_size=8", "max_completion_length=8"]},
    "iterations": [
        {"sft": {"problems": 10, "k": 2}, "grpo": {"problems": 6, "k": 2, "selection": {"min_pass_rate": 0.0}}},
        {"sft": {"problems": 6, "k": 2, "min_rows": 2, "fallback": "reasoner"},
         "grpo": {"problems": 6, "k": 2, "selection": {"min_pass_rate": 0.0}}},
    ],
}
# Where the three runs are killed: between two steps, inside a GRPO run (after its first optimizer step),
# and at the start of the second iteration's rollouts.
KILL_POINTS = ("1:sft-train:before", "1:grpo-train:during", "2:grpo-data:before")
SUMMARY = re.compile(r"^(caption|reason): (\d+) requests \((\d+) cached, (\d+) generated", re.MULTILINE)


def thinkset(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "curation.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)


def run_until(recipe: Path, store: Path, point: str | None, env: dict[str, str]) -> str:
    """Run the loop; with ``point``, SIGKILL it when it reaches that hook. Returns its output."""
    process = thinkset("iterate", str(recipe), "--store", str(store),
                       env={**env, "THINKSET_LOOP_HOOK": point or ""})
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if point and f"loop-hook {point}" in line:
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=120)
    output = "".join(lines)
    if point:
        assert process.returncode == -signal.SIGKILL, output[-3000:]
    else:
        assert process.returncode == 0, output[-3000:]
    return output


def cached_generations(store: Path) -> int:
    """Answers held by the data steps' generation caches (the eval's cache is separate)."""
    total = 0
    for path in (store / "work").glob("*/*/generations.sqlite"):
        with GenerationCache(path) as cache:
            total += cache.count()
    return total


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory):
    root = tmp_path_factory.mktemp("loop")
    recipe, store = root / "loop.yaml", root / "store"
    recipe.write_text(yaml.safe_dump(LOOP))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3]), "THINKSET_QUIET": "",
           "THINKSET_LOOP_HOOK_SECONDS": "600", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    outputs = [run_until(recipe, store, point, env) for point in KILL_POINTS]
    outputs.append(run_until(recipe, store, None, env))
    again = run_until(recipe, store, None, env)
    return recipe, Store(store), outputs, again, env


def test_two_iterations_make_the_papers_chain(killed_and_resumed):
    recipe, store, _, _, env = killed_and_resumed
    snapshots = {s.name: s for s in store.list()}
    for i in (1, 2):
        grpo = store.open(f"t-loop-grpo-iter{i}").read()
        assert grpo.height > 0 and grpo["pass_rate"].null_count() == 0
        assert store.open(f"t-loop-sft-iter{i}").info.rows > 0
    assert sum(s.kind == "sft" for s in snapshots.values()) >= 2
    assert sum(s.kind == "grpo" for s in snapshots.values()) >= 2
    models = {a["name"] for a in store.artifacts("model")}
    assert {f"t-loop-model-{m}-iter{i}" for m in ("sft", "grpo") for i in (1, 2)} <= models
    last = store.resolve("t-loop-model-grpo-iter2")
    ancestors = {(e["src_name"], e["kind"], e["dst_name"]) for e in store.lineage(last.id)
                 if e["direction"] == "ancestor"}
    chain = [  # pool -> rollouts -> sft -> model -> rollouts -> grpo -> model, then iteration 2 from that model
        ("pool-t", "generated_by", "t-loop-rollouts-teacher-iter1"),
        ("t-loop-rollouts-teacher-iter1", "selected_with", "t-loop-sft-iter1"),
        ("t-loop-sft-iter1", "trained_on", "t-loop-model-sft-iter1"),
        ("t-loop-model-sft-iter1", "generated_by", "t-loop-rollouts-grpo-iter1"),
        ("t-loop-rollouts-grpo-iter1", "filtered_from", "t-loop-grpo-iter1"),
        ("t-loop-grpo-iter1", "trained_on", "t-loop-model-grpo-iter1"),
        ("t-loop-model-sft-iter1", "fine_tuned_from", "t-loop-model-grpo-iter1"),
        ("t-loop-model-grpo-iter1", "generated_by", "t-loop-rollouts-sft-iter2"),
        ("t-loop-sft-iter2", "trained_on", "t-loop-model-sft-iter2"),
        ("t-loop-base", "fine_tuned_from", "t-loop-model-sft-iter2"),  # SFT from the base model, every iteration
        ("t-loop-model-sft-iter2", "generated_by", "t-loop-rollouts-grpo-iter2"),
        ("t-loop-grpo-iter2", "trained_on", "t-loop-model-grpo-iter2"),
    ]
    missing = [edge for edge in chain if edge not in ancestors]
    assert not missing, missing
    evals = store.artifacts("eval")
    evaluated = {e["src_name"] for a in evals for e in store.lineage(a["id"]) if e["kind"] == "evaluated"}
    assert {"t-loop-base", "t-loop-model-sft-iter1", "t-loop-model-grpo-iter2"} <= evaluated
    lineage = subprocess.run([sys.executable, "-m", "curation.cli", "lineage", "t-loop-model-grpo-iter2",
                              "--store", str(store.root)], capture_output=True, text=True, env=env, check=True)
    for name in ("t-loop-grpo-iter2", "t-loop-model-sft-iter1", "t-loop-rollouts-teacher-iter1", "pool-t"):
        assert name in lineage.stdout
    edge_lines = [line.strip() for line in lineage.stdout.splitlines()[1:]]
    assert len(edge_lines) == len(set(edge_lines)), "an edge reached by several paths is printed once"
    report = store.root / "loops" / "t-loop" / "report"
    assert (report / "report.md").is_file() and (report / "accuracy.png").stat().st_size > 0
    assert "GRPO-iter2" in (report / "report.md").read_text()
    card = (Path(store.resolve("t-loop-model-sft-iter2").path) / "README.md").read_text()
    assert "## In the loop `t-loop` (iteration 2)" in card and "t-loop-sft-iter2@v" in card
    assert "SFT-iter2" in card and "| base |" in card
    # paragraphs apart: Markdown would fold the sentence into the list's last item and the heading into the table
    assert "\n\nEvaluations on the loop's eval split" in card and "|\n\n## Environment" in card


def test_kills_resume_without_redoing_finished_work(killed_and_resumed):
    _, store, outputs, again, _ = killed_and_resumed
    for output, point in zip(outputs, KILL_POINTS, strict=False):
        assert f"loop-hook {point}" in output
    runs = {}
    for event in LoopState(store, "t-loop").events("trainer_run"):
        runs[(event["iteration"], event["step"])] = runs.get((event["iteration"], event["step"]), 0) + 1
    # killed before it started: one run; killed inside: the only step that ran twice; the rest once
    assert runs == {(1, "sft-train"): 1, (1, "grpo-train"): 2, (2, "sft-train"): 1, (2, "grpo-train"): 1}
    generated = sum(int(m.group(4)) for output in outputs for m in SUMMARY.finditer(output))
    assert generated == cached_generations(store.root) > 0  # no request was generated twice
    assert all(a["version"] == 1 for a in store.artifacts("model"))  # no model trained twice to the end
    # a finished loop re-run does nothing: no trainer, no generation, every step up to date
    assert "13 up to date" in again and not SUMMARY.search(again)


def test_status_shows_every_step_done(killed_and_resumed):
    recipe, store, _, _, env = killed_and_resumed
    status = subprocess.run([sys.executable, "-m", "curation.cli", "iterate", str(recipe), "--status", "--json",
                             "--store", str(store.root)], capture_output=True, text=True, env=env, check=True)
    rows = json.loads(status.stdout)
    assert [(r["iteration"], r["step"]) for r in rows][:2] == [(0, "eval-base"), (1, "sft-data")]
    assert len(rows) == 13 and all(r["status"] == "done" and r["artifact"] for r in rows)
    # a model is named as the lineage and the report name it, not by a folder of this machine
    assert {r["artifact"] for r in rows if r["step"].endswith("-train")} == {
        f"t-loop-model-{mode}-iter{i}@v1" for mode in ("sft", "grpo") for i in (1, 2)}


def test_a_killed_loop_ends_as_an_uninterrupted_one_in_a_fresh_store(killed_and_resumed, tmp_path):
    """Model ids are content ids and training is seeded, so every snapshot (the rollouts of trained models
    included), every model and every figure is the same as a run that was never killed, in another store."""
    recipe, store, _, _, env = killed_and_resumed
    fresh = tmp_path / "fresh"
    run_until(recipe, fresh, None, env)
    other = Store(fresh)
    expected = store_state(other)
    assert any("rollouts-grpo-iter2" in name for name in expected)  # made by iteration 1's GRPO model
    assert store_state(store) == expected
    models = {(a["name"], a["id"]) for a in store.artifacts("model")}
    assert len(models) == 5 and models == {(a["name"], a["id"]) for a in other.artifacts("model")}
    figures = {(e["eval_id"], e["name"], e["accuracy"]) for e in store.catalog.evals()}
    assert len(figures) == 5 and figures == {(e["eval_id"], e["name"], e["accuracy"]) for e in other.catalog.evals()}
