"""One line per demo step, with its figure, from the JSON a `thinkset ... --json` command printed.

    thinkset funnel sft-demo --json | python scripts/demo_story.py funnel

Used by scripts/demo.sh, whose full command output goes to a log file instead.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def pool(data: dict[str, Any]) -> str:
    mix = ", ".join(f"{source.removeprefix('synth_')} {rows}" for source, rows in data["source_mix"].items())
    return f"{data['ref']}: {data['rows']} problems with images and known answers ({mix})"


def funnel(rows: list[dict[str, Any]]) -> str:
    """The last snapshot's stages: rows in at the first filter, rows out, and each drop reason."""
    last = rows[-1]["snapshot"]
    own = [r for r in rows if r["snapshot"] == last]
    generated = [r for r in rows if r["stage_type"] == "reason"]
    drops = ", ".join(r["reasons"] for r in own if r["dropped"])
    start = f"{generated[-1]['rows_out']} traces ({generated[-1]['snapshot']})" if generated \
        else f"{own[0]['rows_in']} rows"
    return f"{start} -> {last}: {own[-1]['rows_out']} rows; dropped {drops or 'nothing'}"


def snapshot(data: dict[str, Any]) -> str:
    return f"{data['ref']}: {data['rows']} {data['kind']} rows"


def check(data: dict[str, Any]) -> str:
    outcomes = data["outcomes"]
    failed = [o["name"] for o in outcomes if not o["success"]]
    verdict = f"all {len(outcomes)} checks passed" if not failed else f"FAILED: {', '.join(failed)}"
    return f"{data['snapshot_ref']}: {verdict} on {data['rows']} rows"


def publish(data: dict[str, Any]) -> str:
    left_out = len(data.get("left_out") or [])
    return (f"{data['ref']}: {data['rows']} rows loaded back with datasets.load_dataset; card {data['card']}"
            + (f" ({left_out} internal columns left out)" if left_out else ""))


def _metric(metrics: dict[str, Any], key: str) -> str:
    value = metrics.get(key)
    return f"{value:.4g}" if isinstance(value, int | float) else "?"


def train(data: dict[str, Any]) -> str:
    parts = []
    for mode in ("sft", "grpo"):
        metrics = data[mode].get("metrics") or {}
        rewards = [f"{k.replace('_', ' ')} {_metric(metrics, k)}" for k in ("reward", "reward_mean", "reward_std")
                   if k in metrics]
        figures = [f"loss {_metric(metrics, 'train_loss')}", *rewards, f"{_metric(metrics, 'train_runtime')} s"]
        parts.append(f"{mode} {', '.join(figures)} -> {data[mode]['output_dir']}")
    return "; ".join(parts)


def snapshots(rows: list[dict[str, Any]]) -> str:
    return ", ".join(f"{r['name']}@v{r['version']} ({r['rows']} {r['kind']})" for r in rows)


STEPS = {"pool": pool, "funnel": funnel, "snapshot": snapshot, "check": check, "publish": publish,
         "train": train, "snapshots": snapshots}

if __name__ == "__main__":
    print(STEPS[sys.argv[1]](json.load(sys.stdin)))
