"""Generation throughput: the openai backend (with the cache, as the stages run it) against the local server.

The server runs in its own process with a fixed latency L; the client keeps C
requests in flight, so the ideal rate is C / L. Prints JSON with
``achieved_rps``, ``ideal_rps``, ``efficiency``, ``cached_rerun_fraction`` (a
full rerun served from the cache, as a fraction of the first run's time) and
``client_cpu_ms_per_request``, plus the same run through the SDK's typed
``chat.completions.create`` as the baseline.

    python benchmarks/generation_bench.py --requests 3000 --concurrency 64 --latency 0.2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("THINKSET_QUIET", "1")

from curation.generate.backends import BackendConfig, make_backend  # noqa: E402
from curation.generate.base import PRESETS, GenerationRequest, request_key, text_part  # noqa: E402
from curation.generate.cache import GenerationCache  # noqa: E402
from curation.generate.openai import OpenAIBackend  # noqa: E402
from curation.generate.runner import run_requests  # noqa: E402
from curation.store import Store  # noqa: E402


class TypedCreateBackend(OpenAIBackend):
    """Baseline: the SDK's typed ``chat.completions.create`` (transforms params on every call)."""

    async def _request(self, client, body):
        body = dict(body)
        extra = {"top_k": body.pop("top_k")} if "top_k" in body else None
        completion = await client.chat.completions.create(**body, extra_body=extra)
        return completion.model_dump()


def start_server(latency: float) -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen([sys.executable, str(ROOT / "tests" / "generate" / "chat_server.py"),
                               "--latency", str(latency)], stdout=subprocess.PIPE, text=True)
    return server, server.stdout.readline().strip()


def requests_for(count: int, tag: str) -> list[GenerationRequest]:
    params = PRESETS["greedy"]
    out = []
    for i in range(count):
        messages = [{"role": "user", "content": [text_part(f"[{tag}] question number {i}: what is {i} + 1?")]}]
        out.append(GenerationRequest(key=request_key("bench-model", params, messages, 0, 1), messages=messages,
                                     params=params))
    return out


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of another process (Linux /proc), to show the server is not the bottleneck."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_run(backend, requests, cache) -> tuple[float, float, int]:
    started, cpu = time.perf_counter(), time.process_time()
    results, stats = run_requests(backend, requests, cache)
    failed = sum(1 for r in results.values() if not r.ok)
    return time.perf_counter() - started, time.process_time() - cpu, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.2, help="server latency per request, seconds")
    parser.add_argument("--no-baseline", action="store_true", help="skip the typed-create baseline run")
    args = parser.parse_args()
    server, url = start_server(args.latency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(Path(tmp) / "store")
            config = BackendConfig(model="bench-model", base_url=url, concurrency=args.concurrency)
            ideal = args.concurrency / args.latency
            figures: dict[str, object] = {"requests": args.requests, "concurrency": args.concurrency,
                                          "latency_s": args.latency, "ideal_rps": round(ideal, 1)}
            requests = requests_for(args.requests, "main")
            server_cpu = process_cpu_seconds(server.pid)
            with GenerationCache(Path(tmp) / "cache.sqlite") as cache:
                seconds, cpu, failed = timed_run(make_backend("openai", config, store.images), requests, cache)
                server_cpu = process_cpu_seconds(server.pid) - server_cpu
                rerun_seconds, _, _ = timed_run(make_backend("openai", config, store.images), requests, cache)
            figures.update(achieved_rps=round(args.requests / seconds, 1),
                           efficiency=round(args.requests / seconds / ideal, 3),
                           cached_rerun_fraction=round(rerun_seconds / seconds, 4),
                           client_cpu_ms_per_request=round(cpu / args.requests * 1000, 3),
                           server_cpu_ms_per_request=round(server_cpu / args.requests * 1000, 3),
                           failed=failed, seconds=round(seconds, 2), cached_rerun_seconds=round(rerun_seconds, 3))
            if not args.no_baseline:
                with GenerationCache(Path(tmp) / "baseline.sqlite") as cache:
                    seconds, cpu, _ = timed_run(TypedCreateBackend(config, store.images),
                                                requests_for(args.requests, "baseline"), cache)
                figures["baseline_typed_create"] = {
                    "achieved_rps": round(args.requests / seconds, 1),
                    "efficiency": round(args.requests / seconds / ideal, 3),
                    "client_cpu_ms_per_request": round(cpu / args.requests * 1000, 3)}
            figures["cpu_count"] = os.cpu_count()
            figures["load_avg_1m"] = round(os.getloadavg()[0], 2)
    finally:
        server.kill()
        server.wait()
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
