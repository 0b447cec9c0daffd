"""Reliability report (issue 14): the reliability suites at a larger scale than the tests, one JSON object.

- kills: `thinkset run` SIGKILLed at random fault points (drawn from the points an uninterrupted run hits,
  THINKSET_FAULTPOINT_LOG) and re-run; `thinkset iterate` killed at random points in a chain of runs on one
  store, then finished. A run recovers when the store ends equal to the uninterrupted run's (ids, versions,
  rows, rejections, funnel), nothing partial was listed after the kill, and after `store gc` it verifies clean.
  rows_lost: rows missing from a recovered store (plus good rows lost to hostile inputs); duplicates:
  requests for results that were already durable, plus versions or models made twice.
- concurrency: WRITERS `thinkset run`s of different recipes at once with reader loops; lock_errors counts
  failed processes and failed reads; reader_max_wait_s is the slowest read call, against the slowest call of
  the same reader loop on the idle store (reader_idle_max_s, the baseline measured in the same run).
- corruption: every kind of damage injected into a store; corrupt_detected counts those `store verify` names.
- fuzz, hostile inputs and the secret scan: rel-input's harness (tests/reliability/), at 10k cases a parser.

    python benchmarks/reliability_report.py [--kills 50] [--iterate-kills 5] [--fuzz 10000] [--small]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("THINKSET_QUIET", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import yaml  # noqa: E402

from curation.faults import LOG_ENV  # noqa: E402
from curation.pipeline import run_recipe  # noqa: E402
from curation.recipe import load_recipe  # noqa: E402
from curation.store import Store  # noqa: E402
from curation.store.gc import collect_garbage  # noqa: E402
from curation.store.verify import verify_store  # noqa: E402
from tests.generate.chat_server import ChatServer  # noqa: E402
from tests.store.reliability import (  # noqa: E402
    THINKSET,
    durable_results,
    generation_recipe,
    listed_damage,
    start_thinkset,
    store_state,
    thinkset,
    thinkset_env,
)

PER_CALL_BUDGET_S = 5.0  # a fuzzed parser call slower than this is a fault (hangs, quadratic blow-ups)


def rows_missing(expected: dict[str, Any], state: dict[str, Any]) -> int:
    lost = 0
    for name, want in expected.items():
        got = state.get(name)
        if got is None:
            lost += want["rows"]
        elif got != want:
            lost += abs(want["rows"] - got["rows"]) or (1 if got["data"] != want["data"] else 0)
    return lost


# -- kills: thinkset run ---------------------------------------------------------------------------------
def kill_runs(work: Path, kills: int, rng: random.Random, rows: int) -> dict[str, Any]:
    server = ChatServer().start()
    try:
        recipe = generation_recipe(work, "kills", server={"backend": "openai", "base_url": server.url,
                                                          "concurrency": 4}, rows=rows, k=2, batch_rows=8)
        hits_log = work / "hits.log"
        env = {**thinkset_env(), LOG_ENV: str(hits_log)}
        baseline = subprocess.run([*THINKSET, "run", str(recipe), "--store", str(work / "baseline")], env=env,
                                  capture_output=True, text=True, cwd=ROOT, timeout=900)
        assert baseline.returncode == 0, baseline.stderr[-3000:]
        hits = Counter(hits_log.read_text().split())
        expected = store_state(Store(work / "baseline"))
        total_requests = len(server.log)
        result: dict[str, Any] = {"kills": 0, "recovered": 0, "rows_lost": 0, "duplicates": 0, "partial_listed": 0,
                                  "not_reached": 0, "failures": [], "points": Counter(), "hits_per_run": dict(hits)}
        attempt = 0
        while result["kills"] < kills and attempt < kills * 2:
            attempt += 1
            point = rng.choice(sorted(hits))
            spec = f"{point}:{rng.randint(1, hits[point])}"
            store_path = work / f"kill-{attempt}"
            killed = thinkset(["run", str(recipe)], store_path, faultpoint=spec)
            if killed.returncode != -9:
                result["not_reached"] += 1  # e.g. a cache commit that came at another count this time
                if killed.returncode != 0:
                    result["failures"].append(f"{spec}: exit {killed.returncode}: {killed.stderr[-500:]}")
                shutil.rmtree(store_path, ignore_errors=True)
                continue
            result["kills"] += 1
            result["points"][point] += 1
            store = Store(store_path)
            partial = listed_damage(store) or [n for n, i in ((s.name, s.id) for s in store.list())
                                               if expected.get(n, {}).get("id") != i]
            result["partial_listed"] += bool(partial)
            durable, served_before = durable_results(store_path), len(server.log)
            try:
                run_recipe(load_recipe(recipe), store)
            except Exception as exc:  # noqa: BLE001 - the report counts it
                result["failures"].append(f"{spec}: re-run failed: {type(exc).__name__}: {exc}"[:800])
                continue
            result["duplicates"] += max(0, len(server.log) - served_before - (total_requests - durable))
            state = store_state(store)
            result["rows_lost"] += rows_missing(expected, state)
            collect_garbage(store, delete=True)
            report = verify_store(store)
            if state == expected and report.ok and not partial:
                result["recovered"] += 1
            else:
                result["failures"].append(f"{spec}: state equal {state == expected}, verify {report.problems[:3]}, "
                                          f"partial {partial[:3]}")
            shutil.rmtree(store_path, ignore_errors=True)
        result["points"] = dict(result["points"])
        result["requests_per_run"] = total_requests
        return result
    finally:
        server.stop()


# -- kills: thinkset iterate -----------------------------------------------------------------------------
def kill_iterate(work: Path, kills: int, rng: random.Random) -> dict[str, Any]:
    from tests.training.loop.test_iterate import LOOP
    from training.loop.config import load_loop
    from training.loop.iterate import loop_status

    loop = json.loads(json.dumps(LOOP))
    loop["iterations"] = loop["iterations"][:1]
    loop["pool"]["synthetic"]["n"] = 40
    recipe, store_path = work / "loop.yaml", work / "loop-store"
    recipe.write_text(yaml.safe_dump(loop))
    hits_log = work / "loop-hits.log"
    # an uninterrupted loop in its own store lists the points a loop passes, and how often
    baseline = subprocess.run([*THINKSET, "iterate", str(recipe), "--store", str(work / "loop-baseline")],
                              env={**thinkset_env(), LOG_ENV: str(hits_log)}, capture_output=True, text=True,
                              cwd=ROOT, timeout=1800)
    assert baseline.returncode == 0, baseline.stderr[-3000:]
    hits = Counter(hits_log.read_text().split())
    expected = store_state(Store(work / "loop-baseline"))
    result: dict[str, Any] = {"kills": 0, "points": [], "failures": [], "hits_per_run": dict(hits)}
    for _ in range(kills):
        point = rng.choice(sorted(hits))
        spec = f"{point}:{rng.randint(1, max(1, hits[point] // 2))}"  # early enough for a resumed run to reach
        done = thinkset(["iterate", str(recipe)], store_path, faultpoint=spec, timeout=1800)
        if done.returncode == -9:
            result["kills"] += 1
            result["points"].append(spec)
            store = Store(store_path)
            if listed_damage(store):
                result["failures"].append(f"{spec}: partial listed {listed_damage(store)[:3]}")
        elif done.returncode != 0:
            result["failures"].append(f"{spec}: exit {done.returncode}: {done.stderr[-800:]}")
    final = thinkset(["iterate", str(recipe)], store_path, timeout=1800)
    store = Store(store_path)
    status = loop_status(store, load_loop(recipe))
    collect_garbage(store, delete=True)
    report = verify_store(store)
    state = store_state(store)
    # model ids are content ids and training is seeded: every snapshot, the rollouts of trained models
    # included, and every model must match the uninterrupted run in its own store
    models = store.artifacts("model")
    baseline_models = {(a["name"], a["id"]) for a in Store(work / "loop-baseline").artifacts("model")}
    result.update({
        "finished": final.returncode == 0 and all(row["status"] == "done" for row in status),
        "verify_ok": report.ok, "problems": [p.__dict__ for p in report.problems[:5]],
        "duplicates": sum(a["version"] > 1 for a in models) + sum(s["version"] > 1 for s in state.values()),
        "rows_lost": rows_missing(expected, state),
        "snapshot_ids_match": {n: s["id"] for n, s in state.items()} == {n: s["id"] for n, s in expected.items()},
        "model_ids_match": {(a["name"], a["id"]) for a in models} == baseline_models,
        "traceback": "Traceback" in final.stderr})
    result["recovered"] = result["kills"] if result["finished"] and report.ok and not result["failures"] \
        and not result["duplicates"] and not result["rows_lost"] and result["snapshot_ids_match"] \
        and result["model_ids_match"] else 0
    if not result["finished"]:
        result["failures"].append(f"final run: exit {final.returncode}: {final.stderr[-800:]}")
    return result


# -- concurrency -----------------------------------------------------------------------------------------
def concurrency(work: Path, writers: int, rows: int, reader_loops: int) -> dict[str, Any]:
    store_path = work / "shared"
    recipes = [generation_recipe(work, f"c{i}", server={"backend": "synthetic"}, rows=rows + i,
                                 max_words=200 + 100 * i, pool_seed=i, batch_rows=64) for i in range(writers)]

    def readers(tag: str) -> tuple[list[subprocess.Popen], Path, list[Path]]:
        stop = work / f"stop-{tag}"
        outs = [work / f"reads-{tag}-{n}.json" for n in range(reader_loops)]
        procs = [subprocess.Popen([sys.executable, "-m", "tests.store.reliability", "read-loop", str(store_path),
                                   str(stop), str(out)], env=thinkset_env(), cwd=ROOT, stderr=subprocess.PIPE,
                                  text=True) for out in outs]
        return procs, stop, outs

    def finish(procs: list[subprocess.Popen], stop: Path, outs: list[Path]) -> tuple[int, float, int, int]:
        stop.touch()
        errors = 0
        for proc in procs:
            _, err = proc.communicate(timeout=300)
            errors += proc.returncode != 0 or "Traceback" in err
        reads = [json.loads(out.read_text()) for out in outs if out.exists()]
        return (errors + sum(len(r["failures"]) for r in reads), max((r["max_wait_s"] for r in reads), default=0.0),
                sum(r["calls"] for r in reads), len(reads))

    started = time.perf_counter()
    procs, stop, outs = readers("busy")
    runs = [start_thinkset(["run", str(recipe)], store_path) for recipe in recipes]
    outputs = [run.communicate(timeout=1800) for run in runs]
    read_errors, busy_max, busy_calls, _ = finish(procs, stop, outs)
    seconds = time.perf_counter() - started
    writer_errors = sum(run.returncode != 0 or "Traceback" in err for run, (_, err) in zip(runs, outputs, strict=True))
    waited = sum("waiting for the store lock" in err for _, err in outputs)
    # the baseline: the same reader loops on the same store, idle, for a few seconds
    procs, stop, outs = readers("idle")
    time.sleep(8)
    _, idle_max, idle_calls, _ = finish(procs, stop, outs)
    store = Store(store_path)
    names = {s.name for s in store.list()}
    expected = {f"{kind}-c{i}" for i in range(writers) for kind in ("pool", "rollouts", "sft")}
    return {"concurrent_writers": writers, "writers_ok": writers - writer_errors, "lock_errors":
            writer_errors + read_errors, "writers_that_waited": waited, "all_committed": names == expected,
            "catalog_consistent": verify_store(store).ok, "reader_calls": busy_calls,
            "reader_max_wait_s": round(busy_max, 3), "reader_idle_max_s": round(idle_max, 3),
            "reader_idle_calls": idle_calls, "seconds": round(seconds, 1),
            "writer_errors": [err[-800:] for run, (_, err) in zip(runs, outputs, strict=True) if run.returncode]}


# -- corruption ------------------------------------------------------------------------------------------
def corruption(store_path: Path, rng: random.Random) -> dict[str, Any]:
    """Damage a copy of a store in every way `store verify` knows; count the damages it names."""
    copy = store_path.with_name(store_path.name + "-damaged")
    shutil.copytree(store_path, copy, symlinks=True)
    store = Store(copy)
    snapshots = [store.open(s.id) for s in store.list()]
    rng.shuffle(snapshots)
    injected: list[tuple[str, str]] = []

    def rel(path: Path) -> str:
        return path.relative_to(copy).as_posix()

    def writable(path: Path) -> Path:
        os.chmod(path, 0o644)
        return path

    shards = [f for s in snapshots for f in s.files]
    rng.shuffle(shards)
    images = sorted(p for p in (copy / "images").glob("*/*") if not p.name.startswith("."))
    rng.shuffle(images)
    for shard in shards[:3]:
        writable(shard).unlink()
        injected.append(("missing", rel(shard)))
    for shard in shards[3:6]:
        data = writable(shard).read_bytes()
        shard.write_bytes(data[: rng.randint(1, len(data) - 1)])
        injected.append(("truncated", rel(shard)))
    for shard in shards[6:9]:
        data = bytearray(writable(shard).read_bytes())
        data[rng.randrange(len(data))] ^= 0x5A
        shard.write_bytes(bytes(data))
        injected.append(("corrupt", rel(shard)))
    for image in images[:3]:
        image.unlink()
        injected.append(("missing", rel(image)))
    for image in images[3:6]:
        image.write_bytes(bytes(image.stat().st_size))
        injected.append(("corrupt", rel(image)))
    stray = snapshots[0].path / "data" / "part-99999.parquet"
    stray.write_bytes(b"stray")
    injected.append(("orphan", rel(stray)))
    (copy / "snapshots" / "unlisted" / "v1").mkdir(parents=True)
    injected.append(("orphan", "snapshots/unlisted/v1"))
    (copy / "tmp" / "dead-999999999-0123abcd").mkdir(parents=True)
    injected.append(("orphan", "tmp/dead-999999999-0123abcd"))
    gone = snapshots[-1]
    manifest = gone.path / "manifest.json"
    writable(manifest).unlink()
    injected.append(("missing", rel(manifest)))
    found = {(p.kind, p.path) for p in verify_store(store).problems}
    quick = {(p.kind, p.path) for p in verify_store(store, quick=True).problems}
    missed = [i for i in injected if i not in found]
    shutil.rmtree(copy, ignore_errors=True)
    return {"corrupt_injected": len(injected), "corrupt_detected": len(injected) - len(missed),
            "corrupt_detected_quick": sum(i in quick for i in injected), "corrupt_missed": missed,
            "problems_reported": len(found)}


# -- rel-input's suites --------------------------------------------------------------------------------------
def inputs(work: Path, fuzz_cases: int, huge_side: int) -> dict[str, Any]:
    from tests.reliability.fuzz import fuzz_parsers
    from tests.reliability.hostile import ingest_hostile, make_hostile_inputs
    from tests.reliability.secret_scan import run_secret_scenario

    started = time.perf_counter()
    fuzz = fuzz_parsers(fuzz_cases, seed=0)
    fuzz_s = time.perf_counter() - started
    cases = make_hostile_inputs(work / "hostile", huge_side=huge_side)
    hostile = ingest_hostile(cases, work / "hostile-store")
    secrets = run_secret_scenario(work / "secrets")
    return {"fuzz": {**{k: v for k, v in fuzz.items() if k != "per_target"},
                     "per_target": {name: {k: v for k, v in r.items() if k != "examples" or v}
                                    for name, r in fuzz["per_target"].items()},
                     "per_call_budget_s": PER_CALL_BUDGET_S,
                     "within_budget": fuzz["max_call_s"] <= PER_CALL_BUDGET_S, "seconds": round(fuzz_s, 1)},
            "hostile": hostile, "secrets": {k: v for k, v in secrets.items() if k != "hits" or v}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=46, help="kills of thinkset run")
    parser.add_argument("--iterate-kills", type=int, default=5, help="kill attempts in a chain of thinkset iterate")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--rows", type=int, default=24, help="pool rows of the killed run")
    parser.add_argument("--writer-rows", type=int, default=200, help="pool rows of each concurrent writer")
    parser.add_argument("--fuzz", type=int, default=10_000, help="fuzz cases per parser")
    parser.add_argument("--huge-side", type=int, default=20_000, help="side of the huge hostile image")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--small", action="store_true", help="a quick smoke of every part")
    args = parser.parse_args()
    if args.small:
        args.kills, args.iterate_kills, args.writer_rows, args.fuzz, args.huge_side = 4, 0, 12, 50, 2_000
    rng = random.Random(args.seed)
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="thinkset-reliability-") as tmp:
        work = Path(tmp)

        def timed(name: str, fn, *fn_args):  # noqa: ANN001, ANN202
            started = time.perf_counter()
            value = fn(*fn_args)
            timings[name] = round(time.perf_counter() - started, 1)
            print(f"{name}: {timings[name]} s", file=sys.stderr, flush=True)
            return value

        for folder in ("runs", "loops", "conc"):
            (work / folder).mkdir()
        runs = timed("kill_runs", kill_runs, work / "runs", args.kills, rng, args.rows)
        loops = timed("kill_iterate", kill_iterate, work / "loops", args.iterate_kills, rng) if args.iterate_kills \
            else {"kills": 0, "recovered": 0, "duplicates": 0, "rows_lost": 0}
        conc = timed("concurrency", concurrency, work / "conc", args.writers, args.writer_rows, 2)
        damage = timed("corruption", corruption, work / "conc" / "shared", rng)
        checks = timed("inputs", inputs, work / "inputs", args.fuzz, args.huge_side)
    report = {
        "kills": runs["kills"] + loops["kills"],
        "recovered": runs["recovered"] + loops["recovered"],
        "rows_lost": runs["rows_lost"] + loops["rows_lost"] + checks["hostile"]["rows_lost"],
        "duplicates": runs["duplicates"] + loops["duplicates"],
        "concurrent_writers": conc["concurrent_writers"],
        "lock_errors": conc["lock_errors"],
        "reader_max_wait_s": conc["reader_max_wait_s"],
        "reader_idle_max_s": conc["reader_idle_max_s"],
        "corrupt_injected": damage["corrupt_injected"],
        "corrupt_detected": damage["corrupt_detected"],
        "fuzz_cases": checks["fuzz"]["fuzz_cases"],
        "unhandled": checks["fuzz"]["unhandled"] + checks["hostile"]["unhandled"],
        "secrets_found": checks["secrets"]["secrets_found"],
        "detail": {"run_kills": runs, "iterate_kills": loops, "concurrency": conc, "corruption": damage,
                   **checks, "seconds": timings, "args": vars(args)},
    }
    print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
