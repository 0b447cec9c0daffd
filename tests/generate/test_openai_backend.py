"""The openai backend against the local server: every fault, retried then succeeding, or failing for good."""

from __future__ import annotations

import pytest

from curation.generate.backends import BackendConfig, make_backend
from curation.generate.base import PRESETS, GenerationRequest, image_part, request_key, text_part
from curation.generate.openai import retry_after_seconds

pytestmark = pytest.mark.server

# (server fault, the error kind when it never stops)
FAULTS = [("rate_limit", "rate_limited"), ("server_error", "server_error"), ("hang", "timeout"),
          ("drop", "connection_error"), ("malformed", "malformed_response"), ("wrong_n", "wrong_n")]


def backend_for(server, store, **overrides):
    settings = {"model": "test-model", "base_url": server.url, "request_timeout": 1.0, "max_retries": 2,
                "backoff_base": 0.001, "backoff_max": 2.0, **overrides}
    return make_backend("openai", BackendConfig(**settings), store.images)


def request(text: str = "What is 2 + 2?", n: int = 1, images: list[str] | None = None) -> GenerationRequest:
    messages = [{"role": "user", "content": [*(image_part(s) for s in images or []), text_part(text)]}]
    params = PRESETS["greedy"]
    return GenerationRequest(key=request_key("test-model", params, messages, 0, n), messages=messages,
                             params=params, n=n)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("fault,kind", FAULTS)
def test_fault_once_is_retried_and_succeeds(chat_server, store, fault, kind, stream):
    chat_server.add_fault(fault, times=1)
    backend = backend_for(chat_server, store, stream=stream)
    [result] = list(backend.generate([request()]))
    assert result.ok, result.error
    assert result.attempts == 2 and backend.retries == 1
    assert chat_server.outcomes() == [fault, "ok"]
    assert result.texts[0] == chat_server.answer(chat_server.log[-1].body, 0)
    assert result.finish_reasons == ["stop"] and result.prompt_tokens == 5


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("fault,kind", FAULTS)
def test_permanent_fault_is_recorded_with_its_reason(chat_server, store, fault, kind, stream):
    chat_server.add_fault(fault, times=None)
    backend = backend_for(chat_server, store, stream=stream, request_timeout=0.3)
    [result] = list(backend.generate([request()]))
    assert not result.ok and result.texts == []
    assert result.error.startswith(kind) and result.error.endswith("(gave up after 3 attempts)")
    assert result.attempts == 3 and backend.retries == 2
    assert chat_server.outcomes() == [fault] * 3


def test_dropped_stream_midway_is_retried(chat_server, store):
    chat_server.add_fault("drop_mid_stream", times=1)
    backend = backend_for(chat_server, store, stream=True)
    [result] = list(backend.generate([request()]))
    assert result.ok and result.attempts == 2
    assert chat_server.outcomes() == ["drop_mid_stream", "ok"]


def test_retry_after_is_honoured(chat_server, store):
    chat_server.add_fault("rate_limit", times=1, retry_after=0.3)
    # The jittered backoff alone would wait at most 1 ms; a wait of 0.3 s can only come from Retry-After.
    backend = backend_for(chat_server, store)
    [result] = list(backend.generate([request()]))
    assert result.ok
    first, second = chat_server.log
    assert second.at - first.at >= 0.3


def test_client_errors_are_not_retried(chat_server, store):
    backend = backend_for(chat_server, store, base_url=chat_server.url + "/missing")
    [result] = list(backend.generate([request()]))
    assert result.error.startswith("http_404") and result.attempts == 1 and backend.retries == 0


def test_concurrency_is_bounded_and_every_request_answered(chat_server, store):
    chat_server.latency, chat_server.latency_jitter = 0.02, 0.03  # random latency: completion order differs
    backend = backend_for(chat_server, store, concurrency=8)
    requests = [request(f"question {i}") for i in range(60)]
    results = list(backend.generate(requests))
    assert sorted(r.key for r in results) == sorted(r.key for r in requests)
    assert all(r.ok for r in results)
    assert chat_server.max_in_flight == 8


def test_images_are_sent_as_data_urls_and_n_choices_returned(chat_server, store):
    sha = store.images.put(b"\x89PNG\r\n\x1a\nnot-really-a-png")
    backend = backend_for(chat_server, store)
    [result] = list(backend.generate([request(n=3, images=[sha])]))
    assert result.ok and len(result.texts) == 3 and len(set(result.texts)) == 3
    body = chat_server.log[0].body
    assert body["n"] == 3 and body["top_k"] == 1 and body["temperature"] == 0.01 and body["max_tokens"] == 2048
    url = body["messages"][0]["content"][0]["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")


def test_api_key_comes_from_the_environment(chat_server, store, monkeypatch):
    monkeypatch.setenv("MY_SERVER_API_KEY", "sk-from-env-1234")
    backend = backend_for(chat_server, store, api_key_env="MY_SERVER_API_KEY")
    list(backend.generate([request()]))
    assert chat_server.log[0].headers["authorization"] == "Bearer sk-from-env-1234"
    assert "sk-from-env" not in repr(backend.config)


def test_retry_after_header_forms():
    assert retry_after_seconds({"retry-after": "2"}) == 2.0
    assert retry_after_seconds({"retry-after-ms": "250"}) == 0.25
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None
