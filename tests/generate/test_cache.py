"""The generation cache: durable commits, failures recorded then replaced, only successes served."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from curation.generate.base import GenerationResult
from curation.generate.cache import GenerationCache


def ok(key: str, text: str = "an answer") -> GenerationResult:
    return GenerationResult(key=key, texts=[text], finish_reasons=["stop"], prompt_tokens=3,
                            completion_tokens=[2], latency_s=0.5)


def test_results_round_trip_and_failures_are_not_served(tmp_path):
    with GenerationCache(tmp_path / "c.sqlite") as cache:
        cache.put(ok("a"))
        cache.put(GenerationResult(key="b", attempts=6, error="timeout (gave up after 6 attempts)"))
    with GenerationCache(tmp_path / "c.sqlite") as cache:
        found = cache.get_many(["a", "b", "c"])
        assert list(found) == ["a"] and found["a"] == ok("a")
        assert cache.failures() == {"b": "timeout (gave up after 6 attempts)"}
        cache.put(ok("b"))
        cache.flush()
        assert cache.failures() == {} and cache.count() == 2


def test_many_keys_are_looked_up_in_chunks(tmp_path):
    with GenerationCache(tmp_path / "c.sqlite", commit_every=500) as cache:
        for i in range(2000):
            cache.put(ok(f"k{i}", str(i)))
        cache.flush()
        found = cache.get_many([f"k{i}" for i in range(0, 2100, 3)])
    assert len(found) == len(range(0, 2000, 3)) and found["k999"].texts == ["999"]


def test_committed_results_survive_kill_9_and_the_uncommitted_tail_is_lost(tmp_path):
    path = tmp_path / "c.sqlite"
    script = textwrap.dedent(f"""
        import os, signal
        from curation.generate.base import GenerationResult
        from curation.generate.cache import GenerationCache
        cache = GenerationCache({str(path)!r}, commit_every=4, commit_seconds=3600)
        for i in range(10):
            cache.put(GenerationResult(key=f"k{{i}}", texts=["t"], finish_reasons=["stop"]))
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert completed.returncode == -9
    with GenerationCache(path) as cache:
        # 10 puts with commits every 4: k0..k7 were committed, k8 and k9 were still pending.
        assert sorted(cache.get_many(f"k{i}" for i in range(10))) == sorted(f"k{i}" for i in range(8))
