"""Scale: the filter pipeline over 1M and 10M synthetic rollouts in flat memory, and Ray's overhead.

    python benchmarks/scale_bench.py --rows 10000000      # the issue's size (many minutes on 2 cores)
    python benchmarks/scale_bench.py --rows 200000        # a quick run: "1m" becomes rows/10, "10m" rows

Text-only rollouts are generated with Polars expressions, shard by shard, straight into a rollouts
snapshot (never all in memory). The recipe is the paper's filters: reflection, length, format,
correctness, then exact dedup over (problem, response). Each run is its own process, so its peak RSS
(ru_maxrss of the run's process, and of its largest child: correctness's grading pool) is its own.
Prints one JSON object:

- ``rows_per_s_1m`` / ``rows_per_s_10m``: input rows per second of ``thinkset run`` (local executor)
  at the small and the full size; ``throughput_ratio`` = 10m / 1m (target >= 0.8)
- ``peak_rss_mb_1m`` / ``peak_rss_mb_10m``: peak RSS of those runs; ``rss_ratio`` = 10m / 1m (target <= 1.5)
- ``ray_overhead``: seconds of the ray executor (local Ray, 2 CPUs) over the local executor at the small
  size (the baseline doing the same work in the same run); ``rows_per_s_ray_1m``, ``peak_rss_mb_ray_1m``
  (the driver's; Ray's workers are processes of the raylet, reported as ``ray_workers_rss_mb``).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARD_ROWS = 250_000
FILLER_WORDS = ("the bar chart shows values for each year and we compare heights of adjacent bars then sum "
                "angle triangle side length area ratio so therefore since because compute total count").split()
VARIANTS = 64
MAX_WORDS = 120  # the length filter's cut here (the paper's is 500; responses here are 10-150 words)


def fillers() -> list[str]:
    """64 reasoning texts of 10 to 150 words (a few over the length cut)."""
    out = []
    for v in range(VARIANTS):
        words = 10 + (v * 37) % 141
        out.append(" ".join(FILLER_WORDS[(v + w * 7) % len(FILLER_WORDS)] for w in range(words)))
    return out


def rollout_shard(start: int, rows: int) -> pl.DataFrame:
    """Rows ``start .. start+rows`` of the synthetic rollouts: 4 samples per problem, 60% correct, 30% wrong,
    5% untagged, 5% malformed (answer inside think); 30% with a reflection after the answer; some samples of a
    problem repeat another's response exactly (dedup)."""
    row = pl.int_range(start, start + rows, dtype=pl.Int64, eager=True).alias("row")
    problem = pl.col("row") // 4
    variant = (problem * 4 + pl.col("row") % 4).hash(seed=1) % 24 + problem % 40
    outcome = pl.col("row").hash(seed=2) % 20
    gold = (problem % 997).cast(pl.Utf8)
    said = pl.when(outcome < 12).then(gold).otherwise((problem % 997 + 1).cast(pl.Utf8))
    filler = variant.replace_strict(list(range(VARIANTS)), fillers(), return_dtype=pl.Utf8)
    reflection = pl.when(pl.col("row").hash(seed=3) % 10 < 3).then(pl.lit(" Wait, let me check the bars again."))
    tagged = pl.concat_str([pl.lit("<think>"), filler, pl.lit("</think>\n<answer>"), said, pl.lit("</answer>"),
                            reflection.otherwise(pl.lit(""))])
    response = (pl.when(outcome == 18).then(pl.concat_str([filler, pl.lit(" The answer is "), said]))
                .when(outcome == 19).then(pl.concat_str([pl.lit("<think>"), filler, pl.lit("<answer>"), said,
                                                         pl.lit("</answer></think>")]))
                .otherwise(tagged))
    return pl.DataFrame(row).select(
        pl.format("r{}", pl.col("row")).alias("id"), pl.lit("synth_bench").alias("source"),
        pl.format("Problem {}: what is the total of the highlighted bars?", problem).alias("problem"),
        gold.alias("answer"), pl.lit([], dtype=pl.List(pl.Utf8)).alias("choices"),
        pl.lit([], dtype=pl.List(pl.Utf8)).alias("image_ids"), pl.lit("{}").alias("metadata"),
        pl.format("p{}", problem).alias("problem_id"), (pl.col("row") % 4).cast(pl.Int32).alias("sample_index"),
        pl.lit("synthetic-teacher").alias("model"), response.alias("response"))


def make_input(store_root: Path, rows: int) -> None:
    from curation.store import Store

    store = Store(store_root)
    with store.writer("rollouts-bench", "rollouts", config={"scale_bench_rows": rows}) as writer:
        for start in range(0, rows, SHARD_ROWS):
            writer.write(rollout_shard(start, min(SHARD_ROWS, rows - start)))


def recipe(executor: str) -> dict:
    return {"name": f"scale-bench-{executor}", "input": "rollouts-bench", "output": "sft-bench", "stages": [
        {"type": "reflection"}, {"type": "length", "max_words": MAX_WORDS}, {"type": "format"},
        {"type": "correctness"}, {"type": "dedup", "columns": ["problem", "response"]}]}


def child(store_root: Path, executor: str) -> None:
    """One measured run (its own process): prints seconds, rows and peak RSS as JSON."""
    import os

    os.environ["THINKSET_QUIET"] = "1"
    from curation.pipeline import run_recipe
    from curation.recipe import recipe_from_dict
    from curation.store import Store

    if executor == "ray":
        import ray

        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    store = Store(store_root)
    started = time.perf_counter()
    result = run_recipe(recipe_from_dict(recipe(executor)), store, {"executor": executor})
    seconds = time.perf_counter() - started
    funnel = store.catalog.funnel(result.final.id)
    figures = {"seconds": seconds, "rows_in": funnel[0]["rows_in"], "rows_out": result.final.rows,
               "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
               "children_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}
    if executor == "ray":
        import psutil

        workers = [p for p in psutil.process_iter(["name", "cmdline"]) if "ray::" in " ".join(p.info["cmdline"] or [])]
        figures["ray_workers_rss_mb"] = sum(p.memory_info().rss for p in workers) / 2**20
        ray.shutdown()
    print(json.dumps(figures))


def measure(store_root: Path, executor: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", str(store_root), "--executor", executor],
                          capture_output=True, text=True, check=False, env=None)
    if done.returncode:
        raise SystemExit(f"run failed ({executor}, {store_root}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="full size; the small size is rows/10")
    parser.add_argument("--skip-ray", action="store_true", help="leave out the ray executor run")
    parser.add_argument("--work", type=Path, default=None, help="folder for the stores (default: a temp dir)")
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--executor", default="local", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.executor)
        return
    work = Path(tempfile.mkdtemp(prefix="scale-bench-", dir=args.work))
    small, full = max(1, args.rows // 10), args.rows
    try:
        runs: dict[str, dict] = {}
        for label, rows in (("small", small), ("full", full)):
            started = time.perf_counter()
            make_input(work / label, rows)
            runs[f"generate_{label}"] = {"seconds": time.perf_counter() - started}
            runs[label] = measure(work / label, "local")
            if label == "small" and not args.skip_ray:
                runs["ray"] = measure(work / label, "ray")
            if label == "small":
                shutil.rmtree(work / label, ignore_errors=True) if args.skip_ray else None
        rate = {k: v["rows_in"] / v["seconds"] for k, v in runs.items() if "rows_in" in v}
        peak = {k: max(v["rss_mb"], v["children_rss_mb"]) for k, v in runs.items() if "rss_mb" in v}
        out = {
            "rows_small": small, "rows_full": full,
            "rows_per_s_1m": round(rate["small"]), "rows_per_s_10m": round(rate["full"]),
            "throughput_ratio": round(rate["full"] / rate["small"], 3),
            "peak_rss_mb_1m": round(peak["small"], 1), "peak_rss_mb_10m": round(peak["full"], 1),
            "rss_ratio": round(peak["full"] / peak["small"], 3),
            "rows_out_1m": runs["small"]["rows_out"], "rows_out_10m": runs["full"]["rows_out"],
            "driver_rss_mb": {k: round(v["rss_mb"], 1) for k, v in runs.items() if "rss_mb" in v},
            "pool_rss_mb": {k: round(v["children_rss_mb"], 1) for k, v in runs.items() if "rss_mb" in v},
            "seconds": {k: round(v["seconds"], 2) for k, v in runs.items()},
        }
        if "ray" in runs:
            out.update({"ray_overhead": round(runs["ray"]["seconds"] / runs["small"]["seconds"], 3),
                        "rows_per_s_ray_1m": round(rate["ray"]), "peak_rss_mb_ray_1m": round(peak["ray"], 1),
                        "ray_workers_rss_mb": round(runs["ray"].get("ray_workers_rss_mb", 0), 1),
                        "ray_rows_out_matches": runs["ray"]["rows_out"] == runs["small"]["rows_out"]})
        print(json.dumps(out, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
