"""Accuracy of ``curation.verify.grade`` per class on two labelled sets, as JSON.

- "tuning (regression)": tests/verify/labelled_cases.jsonl, written alongside the grader; the grader
  is fixed until it gets every case right, so it measures regressions, not accuracy on new text.
- "held-out": tests/verify/heldout_cases.jsonl, built from public verifier tests and scoring code
  (each case names its source repository, path and licence) and never used to tune the grader.

Per class: cases, accuracy, correct_graded_wrong_rate (correct answers graded "wrong", over all
correct answers: in curation these are good traces silently dropped), wrong_graded_correct (answers
that are not correct but were graded "correct": bad traces kept).

    python benchmarks/verify_accuracy.py [--set tuning|heldout|both] [--show-errors]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from curation.verify import grade

CASES_DIR = Path(__file__).resolve().parents[1] / "tests" / "verify"
DEFAULT_CASES = CASES_DIR / "labelled_cases.jsonl"
HELDOUT_CASES = CASES_DIR / "heldout_cases.jsonl"
SETS = {"tuning (regression)": DEFAULT_CASES, "held-out": HELDOUT_CASES}


def accuracy_table(cases: list[dict]) -> tuple[dict[str, dict[str, float]], list[dict]]:
    """Per class (and "all"): cases, right, accuracy, correct_graded_wrong_rate, wrong_graded_correct;
    plus the misgraded cases."""
    tally: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    errors = []
    for case in cases:
        verdict = grade(case["response"], case["gold"], choices=case["choices"])
        ok = verdict.status == case["label"]
        for key in (case["class"], "all"):
            row = tally[key]
            row["cases"] += 1
            row["right"] += ok
            row["correct_answers"] += case["label"] == "correct"
            row["correct_graded_wrong"] += case["label"] == "correct" and verdict.status == "wrong"
            row["wrong_graded_correct"] += case["label"] != "correct" and verdict.status == "correct"
        if not ok:
            errors.append({**case, "got": verdict.status, "extracted": verdict.extracted,
                           "decided_by": verdict.decided_by, "response": case["response"][-160:]})
    table = {}
    for key, row in sorted(tally.items()):
        table[key] = {
            "cases": row["cases"], "right": row["right"], "accuracy": round(row["right"] / row["cases"], 4),
            "correct_graded_wrong_rate": round(row["correct_graded_wrong"] / row["correct_answers"], 4)
            if row["correct_answers"] else 0.0,
            "wrong_graded_correct": row["wrong_graded_correct"],
        }
    return table, errors


def load_cases(path: Path = DEFAULT_CASES) -> list[dict]:
    cases = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}:{number}: not valid JSON ({error}); fix or remove the line") from error
        missing = {"class", "response", "gold", "choices", "label"} - set(case)
        if missing:
            raise ValueError(f"{path}:{number}: missing field(s) {sorted(missing)}")
        cases.append(case)
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["tuning", "heldout", "both"], default="both")
    parser.add_argument("--cases", type=Path, help="grade this JSONL file instead of the stored sets")
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()
    if args.cases:
        chosen = {str(args.cases): args.cases}
    else:
        chosen = {name: path for name, path in SETS.items()
                  if args.set == "both" or (args.set == "tuning") == (path == DEFAULT_CASES)}
    out = {}
    for name, path in chosen.items():
        table, errors = accuracy_table(load_cases(path))
        out[name] = {"cases": str(path.relative_to(CASES_DIR.parents[1])) if path.is_relative_to(CASES_DIR.parents[1])
                     else str(path), "by_class": table}
        if args.show_errors:
            out[name]["errors"] = errors
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
