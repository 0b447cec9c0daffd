"""Any OpenAI-compatible server (vLLM serve, SGLang, TGI, OpenAI) through the official async client.

Bounded concurrency (``concurrency`` workers sharing one ``httpx2`` client
whose connection pool has the same size), our own retries with exponential
backoff and full jitter on 429/5xx/timeouts/dropped connections/malformed
answers (Retry-After wins when the server sends it), and a per-attempt timeout.
The API key is read from the environment when the client is made and never
stored. The SDK's own retries are off so that every retry is counted here.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import random
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AsyncExitStack
from email.utils import parsedate_to_datetime
from typing import Any

import httpx2
import openai
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from curation.generate.backends import BackendConfig
from curation.generate.base import GenerationRequest, GenerationResult, data_url, openai_messages
from curation.redact import redact_text, redact_url
from curation.store import ImageStore

_DONE = object()
# The client's generic ``post`` skips the SDK's per-call typed-params transform, which costs about 1 ms of
# CPU per request (half the client's CPU) and would cap one process below the server's speed.
CHAT_PATH = "/chat/completions"
POOL_SIZE = 16


class RetryableError(Exception):
    """A failed attempt worth repeating; ``kind`` names it in the final error, ``wait`` is a Retry-After."""

    def __init__(self, kind: str, detail: str = "", wait: float | None = None) -> None:
        super().__init__(redact_text(f"{kind}: {detail}") if detail else kind)  # errors are stored and shown
        self.kind, self.wait = kind, wait


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds from a Retry-After (or retry-after-ms) header, in either of its two forms."""
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def classify(exc: BaseException) -> RetryableError | str:
    """A retryable error, or the reason string of a permanent failure."""
    if isinstance(exc, RetryableError):
        return exc
    if isinstance(exc, openai.APITimeoutError):
        return RetryableError("timeout", "no answer within the request timeout")
    if isinstance(exc, openai.APIConnectionError):
        return RetryableError("connection_error", str(exc.__cause__ or exc))
    if isinstance(exc, openai.RateLimitError):
        return RetryableError("rate_limited", "HTTP 429", retry_after_seconds(exc.response.headers))
    if isinstance(exc, openai.APIStatusError) and (exc.status_code >= 500 or exc.status_code in (408, 409)):
        return RetryableError("server_error", f"HTTP {exc.status_code}", retry_after_seconds(exc.response.headers))
    if isinstance(exc, openai.APIStatusError):
        return redact_text(f"http_{exc.status_code}: {exc.message}")
    if isinstance(exc, (ValueError, openai.APIResponseValidationError)):  # JSONDecodeError is a ValueError
        return RetryableError("malformed_response", type(exc).__name__)
    return redact_text(f"{type(exc).__name__}: {exc}")  # the message may quote the URL, credentials and all


class OpenAIBackend:
    name = "openai"

    def __init__(self, config: BackendConfig, images: ImageStore) -> None:
        if not config.base_url:
            raise ValueError("the openai backend needs base_url (e.g. --base-url http://localhost:8000/v1)")
        if not config.base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url {redact_url(config.base_url)!r} is not an http(s) URL "
                             "(e.g. --base-url http://localhost:8000/v1)")
        self.config, self.images, self.model = config, images, config.model
        self.retries = 0
        self._data_urls: dict[str, str] = {}
        self._stopping = threading.Event()  # set when the caller stops reading: workers take no new request

    # -- request shaping ------------------------------------------------------
    def _image_url(self, sha256: str) -> str:
        if sha256 not in self._data_urls:
            if len(self._data_urls) > 256:  # rows sharing an image are usually near each other
                self._data_urls.clear()
            self._data_urls[sha256] = data_url(self.images.get(sha256))
        return self._data_urls[sha256]

    def payload(self, request: GenerationRequest) -> dict[str, Any]:
        messages = openai_messages(request.messages, self._image_url)
        params = request.params
        body: dict[str, Any] = {"model": self.model, "messages": messages, "n": request.n,
                                "max_tokens": params.max_new_tokens, "temperature": params.temperature,
                                "top_p": params.top_p}
        if request.seed is not None:
            body["seed"] = request.seed
        if params.stop:
            body["stop"] = list(params.stop)
        if params.top_k is not None:
            body["top_k"] = params.top_k  # vLLM/SGLang/TGI read it; not an OpenAI field
        if self.config.stream:
            body["stream"], body["stream_options"] = True, {"include_usage": True}
        return body

    # -- one attempt ----------------------------------------------------------
    async def _attempt(self, client: openai.AsyncOpenAI, request: GenerationRequest,
                       body: dict[str, Any]) -> GenerationResult:
        started = time.perf_counter()
        if self.config.stream:
            texts, finish, usage = await self._streamed(client, body, request.n)
            prompt_tokens = usage.prompt_tokens if usage else None
            completion_tokens = usage.completion_tokens if usage else None
        else:
            data = await self._request(client, body)
            try:
                choices = sorted(data["choices"], key=lambda c: c["index"])
                texts = [c["message"]["content"] or "" for c in choices]
                finish = [c.get("finish_reason") for c in choices]
            except (KeyError, TypeError) as exc:
                raise RetryableError("malformed_response", f"no {exc} in the answer") from None
            if len(choices) != request.n:
                raise RetryableError("wrong_n", f"asked for {request.n} choices, got {len(choices)}")
            usage = data.get("usage") or {}
            prompt_tokens, completion_tokens = usage.get("prompt_tokens"), usage.get("completion_tokens")
        return GenerationResult(
            key=request.key, texts=texts, finish_reasons=finish,
            prompt_tokens=prompt_tokens,
            # Usage is per request; per-sample counts are exact only for n == 1.
            completion_tokens=[completion_tokens if request.n == 1 else None] * request.n,
            latency_s=round(time.perf_counter() - started, 4))

    async def _request(self, client: openai.AsyncOpenAI, body: dict[str, Any]) -> dict[str, Any]:
        # Raw bytes and json.loads: building the SDK's pydantic ChatCompletion costs ~0.4 ms per answer.
        return json.loads(await client.post(CHAT_PATH, body=body, cast_to=bytes))

    async def _streamed(self, client: openai.AsyncOpenAI, body: dict[str, Any], n: int) -> tuple:
        parts: dict[int, list[str]] = {}
        finish: dict[int, str | None] = {}
        usage = None
        stream = await client.post(CHAT_PATH, body=body, cast_to=ChatCompletion, stream=True,
                                   stream_cls=openai.AsyncStream[ChatCompletionChunk])
        async for chunk in stream:
            usage = chunk.usage or usage
            for choice in chunk.choices:
                if choice.delta and choice.delta.content:
                    parts.setdefault(choice.index, []).append(choice.delta.content)
                if choice.finish_reason:
                    finish[choice.index] = choice.finish_reason
        if sorted(finish) != list(range(n)):
            raise RetryableError("wrong_n" if len(finish) > n else "incomplete_stream",
                                 f"asked for {n} choices, {len(finish)} finished")
        return ["".join(parts.get(i, [])) for i in range(n)], [finish[i] for i in range(n)], usage

    # -- retries ----------------------------------------------------------------
    def backoff(self, retry: int, wait: float | None) -> float:
        if wait is not None:
            return min(wait, self.config.backoff_max)
        return random.uniform(0, min(self.config.backoff_max, self.config.backoff_base * 2 ** retry))

    async def _one(self, client: openai.AsyncOpenAI, request: GenerationRequest) -> GenerationResult:
        body = self.payload(request)
        attempts = 0
        while True:
            attempts += 1
            try:
                result = await self._attempt(client, request, body)
                result.attempts = attempts
                return result
            except Exception as exc:  # every failure is classified; none escapes as a crash of the run
                outcome = classify(exc)
                if isinstance(outcome, str):
                    return GenerationResult(key=request.key, attempts=attempts, error=outcome)
                if attempts > self.config.max_retries:
                    return GenerationResult(key=request.key, attempts=attempts,
                                            error=f"{outcome} (gave up after {attempts} attempts)")
                self.retries += 1
                await asyncio.sleep(self.backoff(attempts - 1, outcome.wait))

    async def agenerate(self, requests: Sequence[GenerationRequest], emit: Any) -> None:
        """Run ``requests`` with ``concurrency`` workers, calling ``emit(result)`` as each finishes."""
        workers = min(self.config.concurrency, len(requests))
        # httpcore's pool scans all its connections on every request and release; several pools of at most
        # POOL_SIZE connections keep that scan short (it was ~0.7 ms per request with one pool of 64).
        pools = max(1, -(-workers // POOL_SIZE))
        size = -(-workers // pools)
        timeout = httpx2.Timeout(self.config.request_timeout, connect=min(30.0, self.config.request_timeout))
        api_key = os.environ.get(self.config.api_key_env) or "EMPTY"
        async with AsyncExitStack() as stack:
            clients = []
            for _ in range(pools):
                http = await stack.enter_async_context(httpx2.AsyncClient(
                    limits=httpx2.Limits(max_connections=size, max_keepalive_connections=size), timeout=timeout))
                clients.append(openai.AsyncOpenAI(base_url=self.config.base_url, max_retries=0, http_client=http,
                                                  timeout=timeout, api_key=api_key))
            pending = iter(requests)

            async def worker(client: openai.AsyncOpenAI) -> None:
                for request in pending:  # a shared iterator: each request is taken by one worker
                    if self._stopping.is_set():
                        return
                    emit(await self._one(client, request))

            await asyncio.gather(*(worker(clients[i % pools]) for i in range(workers)))

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[GenerationResult]:
        """Results in completion order; the event loop runs in a helper thread so callers stay synchronous."""
        if not requests:
            return
        results: queue.Queue[Any] = queue.Queue()
        failure: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(self.agenerate(requests, results.put))
            except BaseException as exc:  # surfaced in the caller's thread below
                failure.append(exc)
            finally:
                results.put(_DONE)

        self._stopping.clear()
        thread = threading.Thread(target=run, name="thinkset-openai", daemon=True)
        thread.start()
        try:
            while (item := results.get()) is not _DONE:
                yield item
        finally:
            self._stopping.set()  # the caller failed or stopped early; in-flight requests finish, no new ones
        thread.join()
        if failure:
            raise failure[0]

    def close(self) -> None:
        self._data_urls.clear()
