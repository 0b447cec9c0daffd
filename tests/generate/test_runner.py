"""run_requests: cache in front of the backend, progress fields and the summary line."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from curation.generate.backends import BackendConfig, make_backend
from curation.generate.cache import GenerationCache
from curation.generate.runner import run_requests
from tests.generate.test_openai_backend import request

pytestmark = pytest.mark.server


def test_progress_counts_retries_failures_and_cached(store, chat_server, tmp_path):
    chat_server.add_fault("server_error", times=1, match="question 0")
    chat_server.add_fault("rate_limit", times=None, match="question 1", retry_after=0)
    calls = []

    @contextmanager
    def progress(description, total, unit="rows"):
        calls.append(("open", description, total, unit))
        yield lambda n=1, **fields: calls.append(("advance", n, fields))

    backend = make_backend("openai", BackendConfig(model="m", base_url=chat_server.url, max_retries=1,
                                                   backoff_base=0.001), store.images)
    requests = [request(f"question {i}") for i in range(5)]
    with GenerationCache(tmp_path / "c.sqlite") as cache:
        results, stats = run_requests(backend, requests + requests[:2], cache, progress=progress, label="reason")
        assert calls[0] == ("open", "reason [openai:m]", 5, "req")
        assert sum(c[1] for c in calls[1:]) == 5  # duplicates are asked once
        assert calls[-1][2]["retries"] == "2" and calls[-1][2]["failed"] == "1"
        assert (stats.requests, stats.cached, stats.generated, stats.failed, stats.retries) == (5, 0, 4, 1, 2)
        assert stats.completion_tokens == 4 * 17 and "req/s" in stats.rates()
        assert stats.summary("reason").startswith("reason: 5 requests (0 cached, 4 generated, 1 failed) in ")
        assert results[requests[1].key].error == "rate_limited: HTTP 429 (gave up after 2 attempts)"

        calls.clear()
        served = len(chat_server.log)
        _, again = run_requests(backend, requests, cache, progress=progress, label="reason")
        assert (again.cached, again.generated, again.failed) == (4, 0, 1)  # the failure is asked again
        assert len(chat_server.log) - served == 2 and calls[1] == ("advance", 4, {})
