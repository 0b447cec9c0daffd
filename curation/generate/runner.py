"""Run requests through a backend with the cache in front: skip what is cached, store what comes back.

Every result is put into the cache (durable at the next small-batch commit)
before it is counted or returned, so a run killed at any moment loses at most
the uncommitted tail and a rerun asks only for what is missing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from curation.faults import faultpoint
from curation.generate.base import Backend, GenerationRequest, GenerationResult
from curation.generate.cache import GenerationCache
from curation.rows import StageFailed

log = logging.getLogger("thinkset.generate")


class GenerationFailed(StageFailed):
    """Too many requests failed for good; the message says how many, why, and what to do."""


@dataclass
class GenerationStats:
    requests: int = 0
    cached: int = 0
    generated: int = 0
    failed: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0

    def add(self, result: GenerationResult) -> None:
        if result.ok:
            self.generated += 1
            self.prompt_tokens += result.prompt_tokens or 0
            self.completion_tokens += sum(t or 0 for t in result.completion_tokens)
        else:
            self.failed += 1

    def rates(self) -> dict[str, str]:
        seconds = max(self.seconds, 1e-9)
        return {"req/s": f"{(self.generated + self.failed) / seconds:,.1f}",
                "tok/s": f"{self.completion_tokens / seconds:,.0f}",
                "retries": str(self.retries), "failed": str(self.failed)}

    def summary(self, label: str) -> str:
        rates = self.rates()
        return (f"{label}: {self.requests} requests ({self.cached} cached, {self.generated} generated, "
                f"{self.failed} failed) in {self.seconds:.1f} s, {rates['req/s']} req/s, {rates['tok/s']} tok/s, "
                f"{self.retries} retries")


def after_result(result: GenerationResult) -> None:
    """Hook called after each result is handed to the cache (tests inject crashes here)."""


def run_requests(backend: Backend, requests: Sequence[GenerationRequest], cache: GenerationCache, *,
                 progress: Callable[..., Any] | None = None, label: str = "generate",
                 ) -> tuple[dict[str, GenerationResult], GenerationStats]:
    """Results for every request (cached or new, failures included) by key, and the run's figures."""
    unique = list({request.key: request for request in requests}.values())
    results = cache.get_many(r.key for r in unique)
    pending = [r for r in unique if r.key not in results]
    stats = GenerationStats(requests=len(unique), cached=len(results))
    retries_before = backend.retries
    started = last_shown = time.perf_counter()
    bar = progress(f"{label} [{backend.name}:{backend.model}]", len(unique), unit="req") if progress else None
    with bar if bar is not None else nullcontext(lambda n=1, **fields: None) as advance:
        advance(len(results))
        try:
            for result in backend.generate(pending):
                cache.put(result)
                faultpoint("generate.result")
                after_result(result)
                results[result.key] = result
                stats.add(result)
                now = time.perf_counter()
                if now - last_shown > 0.25 or stats.generated + stats.failed == len(pending):
                    # Formatting the rates costs more than the bar itself; refresh them a few times a second.
                    stats.seconds, stats.retries = now - started, backend.retries - retries_before
                    advance(1, **stats.rates())
                    last_shown = now
                else:
                    advance(1)
        finally:
            cache.flush()
    stats.seconds, stats.retries = time.perf_counter() - started, backend.retries - retries_before
    log.info(stats.summary(label))
    return results, stats


def check_failures(results: dict[str, GenerationResult], stats: GenerationStats, max_failure_rate: float,
                   label: str, cache: GenerationCache) -> None:
    """Raise GenerationFailed when the share of failed requests is over ``max_failure_rate``."""
    if not stats.requests or stats.failed / stats.requests <= max_failure_rate:
        return
    errors: dict[str, int] = {}
    for result in results.values():
        if not result.ok:
            errors[result.error or "unknown"] = errors.get(result.error or "unknown", 0) + 1
    common = "; ".join(f"{count} x {error}" for error, count in sorted(errors.items(), key=lambda e: -e[1])[:3])
    raise GenerationFailed(
        f"{label}: {stats.failed} of {stats.requests} requests failed "
        f"({stats.failed / stats.requests:.1%} > max_failure_rate {max_failure_rate:.1%}): {common}. "
        f"The {stats.requests - stats.failed} results are cached in {cache.path}; fix the cause (server, "
        "model name, timeouts) and run again to retry only the failed requests, or raise max_failure_rate.")
