"""Filter throughput: thinkset vs a Hugging Face ``datasets`` map/filter baseline, same rows, same run.

    python benchmarks/curation_bench.py --rows 200000 [--cores N] [--skip-baseline]

Prints JSON: rows, thinkset_s, floor_s (a bare Polars word-count scan of the same parquet),
floor_ratio, disagreements (rows where the vectorized fast path and the scalar ``grade`` differ),
peak_rss_mb (the thinkset process; its forked math-verify workers separately),
kept, and rows/s per filter. Each phase runs in its own process.

Both sides get the same cores (``--cores``, default the CPUs this process may use): thinkset runs
with ``POLARS_MAX_THREADS`` = cores and that many math-verify workers; each baseline is ``datasets``
``.map``/``.filter`` with ``num_proc`` = cores over the same parquet. Two baselines:

- ``baseline_s`` / ``speedup``: what peers write (the open-r1 / VLM-R1 accuracy reward): words by
  ``str.split``, our reflection cut, then for every row math-verify ``parse(gold)``, ``parse(answer)``,
  ``verify`` on the extracted answer (its timeouts disabled, as in our code), the trace-format check, and
  dedup with a Python set. Its verdicts differ from ours (``baseline_kept``): math-verify alone does not
  map option letters to option texts, for one.
- ``baseline_same_logic_s`` / ``speedup_same_logic``: the same per-row steps, grading with our own
  ``curation.verify.grade`` (rules first, memoized math-verify only when they cannot decide), so it
  keeps exactly our rows; it measures the engine, not the grading strategy.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("THINKSET_QUIET", "1")
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

STAGES = [{"type": "length", "max_words": 500}, {"type": "reflection"}, {"type": "correctness"},
          {"type": "format"}, {"type": "dedup", "columns": ["problem", "image_ids", "response"]}]


def peak_rss_mb(children: bool = False) -> float:
    """Peak RSS in MiB of this process, or of its largest child (forked children count shared pages)."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)  # Linux reports KiB


def phase_data(work: Path, rows: int) -> dict:
    import polars as pl
    from curation_bench_data import make_rollouts

    from curation.store import Store

    store = Store(work / "store")
    chunk = 50_000
    with store.writer("rollouts-bench", "rollouts", config={"rows": rows, "seed": 0}) as writer:
        for start in range(0, rows, chunk):
            frame = make_rollouts(min(chunk, rows - start), seed=start)
            writer.write(frame.with_columns(
                pl.format("r{}", pl.int_range(start, start + frame.height)).alias("id"),
                (pl.lit(f"c{start}-") + pl.col("problem_id")).alias("problem_id")))
    return {"parquet_files": [str(f) for f in store.open("rollouts-bench").files]}


def phase_thinkset(work: Path, cores: int) -> dict:
    from curation.pipeline import run_recipe
    from curation.recipe import recipe_from_dict
    from curation.store import Store

    store = Store(work / "store")
    stages = [{**s, "workers": cores} if s["type"] == "correctness" else s for s in STAGES]
    recipe = recipe_from_dict({"name": "bench", "input": "rollouts-bench", "output": "bench-out", "stages": stages})
    started = time.perf_counter()
    info = run_recipe(recipe, store).final
    seconds = time.perf_counter() - started
    with store.catalog.connect() as con:
        funnel = con.execute("SELECT stage, rows_in, seconds FROM funnel WHERE snapshot_id = ? ORDER BY stage_index",
                             [info.id]).fetchall()
    return {"thinkset_s": round(seconds, 2), "kept": info.rows, "peak_rss_mb": peak_rss_mb(),
            "math_verify_worker_peak_rss_mb": peak_rss_mb(children=True),
            "rows_per_s": {stage: round(rows / max(sec or 1e-9, 1e-9)) for stage, rows, sec in funnel}}


def phase_floor(files: list[str]) -> dict:
    import polars as pl

    started = time.perf_counter()
    pl.scan_parquet(files).select(pl.col("response").str.count_matches(r"\S+").sum()).collect()
    return {"floor_s": round(time.perf_counter() - started, 2)}


def phase_agreement(files: list[str]) -> dict:
    """Scalar rules (Python) vs the vectorized fast path (Polars) on every row."""
    import polars as pl

    from curation.verify.extract import extract_answer
    from curation.verify.fast import fast_verdicts
    from curation.verify.rules import Pending, decide

    disagreements = pending_rows = rows = 0
    for file in files:
        frame = pl.read_parquet(file, columns=["response", "answer", "choices"])
        fast = fast_verdicts(frame["response"], frame["answer"], frame["choices"])
        for response, gold, choices, verdict, extracted, mv_gold, mv_pred in zip(
                frame["response"].to_list(), frame["answer"].to_list(), frame["choices"].to_list(),
                fast["verdict"].to_list(), fast["extracted"].to_list(),
                fast["mv_gold"].to_list(), fast["mv_pred"].to_list(), strict=True):
            scalar_extracted, _ = extract_answer(response)
            outcome = decide(gold, scalar_extracted, list(choices or []))
            if isinstance(outcome, Pending):
                pending_rows += 1
                same = verdict is None and (outcome.gold, outcome.pred) == (mv_gold, mv_pred)
            else:
                same = verdict == outcome
            disagreements += (not same) or scalar_extracted != extracted
            rows += 1
    return {"disagreements": disagreements, "slow_path_rows": pending_rows,
            "slow_path_share": round(pending_rows / max(rows, 1), 4)}


def phase_baseline(files: list[str], same_logic: bool, cores: int) -> dict:
    """The per-row pipeline as ``datasets`` map/filter with num_proc = cores (see the module docstring)."""
    from datasets import Dataset

    started = time.perf_counter()
    dataset = Dataset.from_parquet(files)

    def score(row: dict) -> dict:
        from curation.filters.reflection import DEFAULT_MARKERS, Cutter
        from curation.verify import grade
        from curation.verify.extract import extract_answer
        from curation.verify.mathverify import _parse
        from curation.verify.trace_format import is_well_formed

        text = row["response"]
        words = len(text.split())
        new, count, offset, consistent = Cutter(DEFAULT_MARKERS, False).cut(text)
        if same_logic:
            correct = grade(new, row["answer"], choices=row["choices"]).correct
        else:  # the peer reward: math-verify on every row, both sides parsed each time
            from math_verify import verify

            extracted, _ = extract_answer(new)
            gold_parsed, pred_parsed = _parse(row["answer"]), _parse(extracted) if extracted else []
            correct = bool(gold_parsed and pred_parsed and verify(gold_parsed, pred_parsed, timeout_seconds=None))
        ok_format = is_well_formed(new)  # the one trace-format definition the format filter uses
        key = f"{row['problem'].lower()}|{','.join(sorted(row['image_ids']))}|{new}"
        return {"response": new, "word_count": words, "reflection_count": count, "consistent": consistent,
                "correct": correct, "format_ok": ok_format, "key": key}

    dataset = dataset.map(score, num_proc=cores)
    dataset = dataset.filter(lambda r: r["word_count"] <= 500 and r["consistent"] and r["correct"]
                             and r["format_ok"], num_proc=cores)
    seen: set[str] = set()
    keep = [not (k in seen or seen.add(k)) for k in dataset["key"]]  # type: ignore[func-returns-value]
    dataset = dataset.select([i for i, k in enumerate(keep) if k])
    prefix = "baseline_same_logic" if same_logic else "baseline"
    return {f"{prefix}_s": round(time.perf_counter() - started, 2), f"{prefix}_kept": len(dataset),
            f"{prefix}_peak_rss_mb": max(peak_rss_mb(), peak_rss_mb(children=True))}


def run_phase(name: str, work: Path, extra: list[str], cores: int) -> dict:
    env = {**os.environ, "POLARS_MAX_THREADS": str(cores)}  # read when polars is imported, in the child
    out = subprocess.run([sys.executable, __file__, "--phase", name, "--work", str(work), "--cores", str(cores),
                          *extra], capture_output=True, text=True, env=env)
    if out.returncode:
        raise SystemExit(f"phase {name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--cores", type=int, default=len(os.sched_getaffinity(0)),
                        help="cores for both sides: polars threads and math-verify workers, datasets num_proc")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--files", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phases = {"data": lambda: phase_data(args.work, args.rows), "thinkset": lambda: phase_thinkset(args.work, args.cores),
                  "floor": lambda: phase_floor(args.files), "agreement": lambda: phase_agreement(args.files),
                  "baseline": lambda: phase_baseline(args.files, same_logic=False, cores=args.cores),
                  "baseline_same_logic": lambda: phase_baseline(args.files, same_logic=True, cores=args.cores)}
        print(json.dumps(phases[args.phase]()))
        return
    with tempfile.TemporaryDirectory(prefix="thinkset-bench-") as tmp:
        work = Path(tmp)
        files = run_phase("data", work, ["--rows", str(args.rows)], args.cores)["parquet_files"]
        result: dict = {"rows": args.rows, "cores": args.cores}
        result.update(run_phase("floor", work, ["--files", *files], args.cores))
        result.update(run_phase("thinkset", work, [], args.cores))
        result.update(run_phase("agreement", work, ["--files", *files], args.cores))
        if not args.skip_baseline:
            result.update(run_phase("baseline", work, ["--files", *files], args.cores))
            result["speedup"] = round(result["baseline_s"] / result["thinkset_s"], 1)
            result.update(run_phase("baseline_same_logic", work, ["--files", *files], args.cores))
            result["speedup_same_logic"] = round(result["baseline_same_logic_s"] / result["thinkset_s"], 1)
        result["floor_ratio"] = round(result["thinkset_s"] / result["floor_s"], 2)
        result["measures"] = {
            "speedup": "peer-style datasets map/filter with math-verify on every row (open-r1, VLM-R1) over thinkset",
            "speedup_same_logic": "datasets map/filter running our own grade per row (same kept rows) over "
                                  "thinkset: the engine alone",
            "floor_ratio": "thinkset over a bare Polars word-count scan of the same parquet",
        }
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
