"""Accuracy of ``curation.verify.grade`` on the labelled set, per class, as JSON.

    python benchmarks/verify_accuracy.py [--cases tests/verify/labelled_cases.jsonl] [--show-errors]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from curation.verify import grade

DEFAULT_CASES = Path(__file__).resolve().parents[1] / "tests" / "verify" / "labelled_cases.jsonl"


def accuracy_table(cases: list[dict]) -> tuple[dict[str, dict[str, float]], list[dict]]:
    """Per class: cases, correct verdicts, accuracy; plus the misgraded cases."""
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    errors = []
    for case in cases:
        verdict = grade(case["response"], case["gold"], choices=case["choices"])
        ok = verdict.status == case["label"]
        for key in (case["class"], "all"):
            tally[key][0] += 1
            tally[key][1] += ok
        if not ok:
            errors.append({**case, "got": verdict.status, "extracted": verdict.extracted,
                           "response": case["response"][:120]})
    table = {k: {"cases": n, "right": r, "accuracy": round(r / n, 4)} for k, (n, r) in sorted(tally.items())}
    return table, errors


def load_cases(path: Path = DEFAULT_CASES) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()
    table, errors = accuracy_table(load_cases(args.cases))
    out = {"accuracy": table}
    if args.show_errors:
        out["errors"] = errors
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
