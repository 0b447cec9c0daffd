"""Sources benchmark: synthetic problems/s and teacher traces/s on one core; prints JSON.

Baseline in the same run: rendering the same drawings and saving them at PNG's default
compression level (what `Image.save(..., "PNG")` does), to show what the fast level buys. Target: >= 500 problems/s.
"""

from __future__ import annotations

import argparse
import io
import json
import time

from curation.sources.synthetic import FAMILIES, generate_problems
from curation.sources.teacher import SyntheticTeacher, TeacherConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="problems to draw")
    parser.add_argument("--k", type=int, default=4, help="teacher traces per problem")
    args = parser.parse_args()

    start = time.perf_counter()
    problems = list(generate_problems(args.n, seed=0))
    synth_seconds = time.perf_counter() - start

    start = time.perf_counter()
    for problem in problems:  # baseline: the same drawings saved at the default PNG compression
        buffer = io.BytesIO()
        FAMILIES[problem.source].render(problem.params).save(buffer, format="PNG")
    baseline_seconds = time.perf_counter() - start

    teacher = SyntheticTeacher(TeacherConfig(), seed=0)
    start = time.perf_counter()
    traces = 0
    for index, problem in enumerate(problems):
        traces += len(teacher.generate(problem.problem, problem.answer, problem.choices, key=str(index), k=args.k))
    teacher_seconds = time.perf_counter() - start

    print(json.dumps({
        "problems": args.n,
        "synthetic_problems_per_s": round(args.n / synth_seconds, 1),
        "baseline_default_png_problems_per_s": round(args.n / baseline_seconds, 1),
        "mean_png_bytes": round(sum(len(p.image_png) for p in problems) / args.n),
        "teacher_traces_per_s": round(traces / teacher_seconds, 1),
    }))


if __name__ == "__main__":
    main()
