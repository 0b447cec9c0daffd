"""Tiny SFT and GRPO runs on CPU: wall time, steps/s and peak memory, each in its own process; prints JSON.

The runs are what `make demo` does (tiny model, `tiny` presets) on a synthetic pool: SFT on teacher-style
traces, then GRPO of the SFT model on the same problems. Baseline in the same run: building the tiny model
(no training), so the training overhead over process start and imports is visible.

    python benchmarks/train_tiny.py --rows 16 --sft-steps 8 --grpo-steps 3
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("THINKSET_QUIET", "1")


def thinkset(*args: str) -> tuple[dict, float]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "curation.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"thinkset {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return (json.loads(done.stdout) if done.stdout.strip().startswith("{") else {}), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=16)
    parser.add_argument("--sft-steps", type=int, default=8)
    parser.add_argument("--grpo-steps", type=int, default=3)
    args = parser.parse_args()

    import polars as pl

    from curation.sources.pool import write_synthetic_pool
    from curation.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = Store(root / "store")
        pool = write_synthetic_pool(store, n=args.rows, seed=0, name="pool-bench")
        frame = store.open(pool.ref).read().with_columns(
            problem_id=pl.col("id"), response=pl.format("<think>{}</think><answer>{}</answer>", "answer", "answer"))
        with store.writer("sft-bench", "sft", parents=[pool.id], config={"bench": args.rows}) as writer:
            writer.write(frame)
        with store.writer("grpo-bench", "grpo", parents=[pool.id], config={"bench": args.rows}) as writer:
            writer.write(frame.with_columns(pass_rate=pl.lit(None, dtype=pl.Float64)))
        common = ["--store", str(store.root), "--preset", "tiny", "--json"]
        _, build_seconds = thinkset("dev", "tiny-model", str(root / "tiny"))
        sft, sft_seconds = thinkset("train", "sft", "sft-bench", "--base", str(root / "tiny"), "--out",
                                    str(root / "sft"), "--set", f"max_steps={args.sft_steps}", *common)
        grpo, grpo_seconds = thinkset("train", "grpo", "grpo-bench", "--base", str(root / "sft"), "--out",
                                      str(root / "grpo"), "--set", f"max_steps={args.grpo_steps}", *common)
    report = {
        "device": "cpu", "cpu_count": os.cpu_count(), "rows": args.rows,
        "baseline_build_tiny_model_process_s": round(build_seconds, 2),
        "sft": {"steps": sft["metrics"]["step"], "train_runtime_s": sft["metrics"]["train_runtime"],
                "steps_per_s": sft["metrics"]["train_steps_per_second"], "process_s": round(sft_seconds, 2),
                "peak_rss_mib": sft["metrics"]["peak_rss_mib"], "train_loss": sft["metrics"]["train_loss"]},
        "grpo": {"steps": grpo["metrics"]["step"], "train_runtime_s": grpo["metrics"]["train_runtime"],
                 "steps_per_s": grpo["metrics"]["train_steps_per_second"], "process_s": round(grpo_seconds, 2),
                 "peak_rss_mib": grpo["metrics"]["peak_rss_mib"], "reward": grpo["metrics"].get("reward")},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
