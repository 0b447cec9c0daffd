"""Start the local argilla-server a few times; print JSON: seconds until it answers, and its RSS.

    .venv/bin/python benchmarks/argilla_server_start.py [--runs 3]

Each run uses a fresh data dir (so it includes the database migrations); the last run
is repeated on an existing data dir (a restart). Needs .venv-argilla (make argilla-venv).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_once(data_dir: Path) -> dict[str, float]:
    port, key = _free_port(), secrets.token_urlsafe(16)
    env = {**os.environ, "ARGILLA_API_KEY": key}
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(REPO / ".venv-argilla/bin/python"), str(REPO / "scripts/argilla_server.py"), "--port", str(port),
         "--data-dir", str(data_dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/me", headers={"X-Argilla-Api-Key": key},
                             timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        ready_s = time.perf_counter() - started
        rss_mb = psutil.Process(process.pid).memory_info().rss / 2**20
    finally:
        stop_started = time.perf_counter()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    return {"ready_s": round(ready_s, 2), "rss_mb": round(rss_mb, 1),
            "stop_s": round(time.perf_counter() - stop_started, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = [start_once(Path(tmp) / f"run{i}") for i in range(args.runs)]
        restart = start_once(Path(tmp) / f"run{args.runs - 1}")
    print(json.dumps({
        "runs": args.runs,
        "fresh_ready_s_median": statistics.median(r["ready_s"] for r in fresh),
        "fresh_rss_mb_median": statistics.median(r["rss_mb"] for r in fresh),
        "restart_ready_s": restart["ready_s"],
        "stop_s_median": statistics.median(r["stop_s"] for r in fresh),
        "fresh": fresh,
    }, indent=2))


if __name__ == "__main__":
    main()
