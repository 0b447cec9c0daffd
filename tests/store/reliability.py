"""Harness shared by the reliability tests and benchmarks/reliability_report.py: `thinkset` as a subprocess
(optionally killed at a fault point), recipes that touch every kill point, a reader loop, and a comparable
digest of a store.

Run as ``python -m tests.store.reliability read-loop STORE STOP OUT``: calls the read commands (in-process,
through the real CLI app) until the file STOP exists, and writes their count, failures and slowest call to OUT.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from curation.faults import ENV as FAULT_ENV
from curation.store import Store

ROOT = Path(__file__).resolve().parents[2]
THINKSET = [sys.executable, "-m", "curation.cli"]
VOLATILE = ("latency_s",)  # differs between two runs of the same requests


def thinkset_env(faultpoint: str | None = None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "THINKSET_QUIET": "1", "HF_HUB_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false"}
    env.pop(FAULT_ENV, None)
    if faultpoint:
        env[FAULT_ENV] = faultpoint
    return env


def thinkset(args: list[str], store: Path, *, faultpoint: str | None = None,
             timeout: float = 600) -> subprocess.CompletedProcess:
    """``thinkset ARGS --store STORE`` in a subprocess; its output captured."""
    return subprocess.run([*THINKSET, *args, "--store", str(store)], capture_output=True, text=True,
                          env=thinkset_env(faultpoint), timeout=timeout, cwd=ROOT)


def start_thinkset(args: list[str], store: Path) -> subprocess.Popen:
    return subprocess.Popen([*THINKSET, *args, "--store", str(store)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=thinkset_env(), cwd=ROOT)


def generation_recipe(folder: Path, name: str, *, server: dict[str, Any], rows: int = 12, k: int = 2,
                      batch_rows: int = 4, max_words: int = 500, pool_seed: int = 0) -> Path:
    """A recipe that passes every kill point: a synthetic pool (image writes) -> pool-NAME, captions and k
    reasoning samples (generation, its cache) -> rollouts-NAME, filters -> sft-NAME, in batches of
    ``batch_rows`` (several shards)."""
    recipe = {"name": name, "output": f"sft-{name}", "batch_rows": batch_rows, "stages": [
        {"type": "synthetic_pool", "n": rows, "seed": pool_seed, "output": f"pool-{name}"},
        {"type": "caption", "model": "captioner", **server},
        {"type": "reason", "model": "reasoner", "k": k, "preset": "sampling", "seed": 7, **server,
         "output": f"rollouts-{name}"},
        {"type": "reflection"}, {"type": "length", "max_words": max_words}, {"type": "format"},
        {"type": "correctness"}, {"type": "select", "strategy": "shortest_correct"}]}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(recipe, sort_keys=False))
    return path


def durable_results(store_path: Path) -> int:
    """Generation results committed to the stages' caches (what a killed run keeps)."""
    import sqlite3

    total = 0
    for path in (store_path / "work").rglob("generations.sqlite"):
        with sqlite3.connect(path) as db:
            total += db.execute("SELECT count(*) FROM results").fetchone()[0]
    return total


def listed_damage(store: Store) -> list[str]:
    """Problems other than orphans: a listed snapshot with a missing, truncated or corrupt file."""
    from curation.store.verify import verify_store

    return [f"{p.kind} {p.path}" for p in verify_store(store, quick=True).problems if p.kind != "orphan"]


def _digest(frame: pl.DataFrame) -> str:
    """Order-independent digest of a frame's rows."""
    if frame.height == 0:
        return f"empty:{sorted(frame.columns)}"
    frame = frame.select(sorted(frame.columns))
    return f"{frame.height}:{int(frame.hash_rows(seed=0).cast(pl.UInt64).sum()) % (1 << 64):016x}"


def store_state(store: Store) -> dict[str, dict[str, Any]]:
    """What must be equal between a run and a killed-then-resumed one: every listed snapshot's id, version,
    rows, rejections (id, stage, reason) and funnel (without timings). Paths into the store (a model's folder
    in its rollouts' ``model`` column) count by their place inside it, so two stores compare equal."""
    state = {}
    for info in store.list():
        snapshot = store.open(info.id)
        rows = snapshot.read()
        rejections = snapshot.rejections().select("row_id", "stage_index", "reason", "detail").collect()
        funnel = [{k: v for k, v in row.items() if k != "seconds"} for row in store.catalog.funnel(info.id)]
        rows = rows.drop([c for c in VOLATILE if c in rows.columns]).with_columns(  # a model's folder, by place
            pl.col(pl.Utf8).str.replace_all(str(store.root), "<store>", literal=True))
        state[info.name] = {"id": info.id, "version": info.version, "rows": info.rows, "data": _digest(rows),
                            "rejections": _digest(rejections), "funnel": funnel}
    return state


def read_loop(store_path: Path, stop: Path, out: Path) -> None:
    from typer.testing import CliRunner

    from curation.cli import app

    runner = CliRunner()
    commands = [["snapshots", "list", "--json"], ["snapshots", "show", "{ref}", "--json"],
                ["funnel", "{ref}", "--json"], ["lineage", "{ref}", "--json"]]
    calls, failures, slowest, ref = 0, [], 0.0, None
    while not stop.exists():
        for command in commands:
            if "{ref}" in command and ref is None:
                continue
            args = [a.replace("{ref}", ref or "") for a in command] + ["--store", str(store_path)]
            started = time.perf_counter()
            result = runner.invoke(app, args)
            slowest = max(slowest, time.perf_counter() - started)
            calls += 1
            if result.exit_code != 0 or result.exception is not None:
                failures.append({"args": args, "exit": result.exit_code, "output": result.output[-1500:],
                                 "exception": repr(result.exception)})
            elif command[:2] == ["snapshots", "list"]:
                listed = json.loads(result.stdout)
                ref = f"{listed[-1]['name']}@v{listed[-1]['version']}" if listed else None
    out.write_text(json.dumps({"calls": calls, "failures": failures, "max_wait_s": slowest}))


if __name__ == "__main__":
    if sys.argv[1] == "read-loop":
        read_loop(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
