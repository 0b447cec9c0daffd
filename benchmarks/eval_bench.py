"""Eval figures as JSON: an eval of the synthetic teacher on a synthetic pool (k samples per problem), the
same eval again (a catalog lookup), and scoring its rows with the batch grader vs the per-row baseline.

    python benchmarks/eval_bench.py [--problems 500] [--k 4] [--store DIR]

The baseline grades every row with ``curation.verify.grade`` one by one, the way the first evaluate did;
both must agree on every verdict.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from curation.sources.pool import write_synthetic_pool
from curation.store import Store
from curation.verify import grade
from training.eval import run_eval
from training.eval.score import score_frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=500)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--store", type=Path, default=None)
    args = parser.parse_args()
    store = Store(args.store or Path(tempfile.mkdtemp(prefix="eval-bench-")))
    pool = write_synthetic_pool(store, n=args.problems, seed=11, name="pool-eval-bench")

    started = time.perf_counter()
    result = run_eval(store, "synthetic-teacher", pool.ref, backend="synthetic", k=args.k)
    first_seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = run_eval(store, "synthetic-teacher", pool.ref, backend="synthetic", k=args.k)
    again_seconds = time.perf_counter() - started

    rows = result.rows().select("id", "source", "answer", "choices", "response")
    started = time.perf_counter()
    batch = score_frame(rows, "default")
    batch_seconds = time.perf_counter() - started
    started = time.perf_counter()
    baseline = [grade(r["response"], r["answer"], choices=r["choices"]).status for r in rows.iter_rows(named=True)]
    baseline_seconds = time.perf_counter() - started
    print(json.dumps({
        "problems": result.n, "samples": rows.height, "k": args.k,
        "accuracy": result.accuracy, "ci95": list(result.ci95), "pass_at_k": result.pass_at_k,
        "eval_seconds": round(first_seconds, 3),
        "rerun_seconds": round(again_seconds, 3), "rerun_reused": again.reused,
        "scoring": {"batch_rows_per_s": round(rows.height / batch_seconds), "baseline_rows_per_s":
                    round(rows.height / baseline_seconds), "speedup": round(baseline_seconds / batch_seconds, 2),
                    "verdicts_agree": batch["status"].to_list() == baseline},
    }, indent=2))


if __name__ == "__main__":
    main()
