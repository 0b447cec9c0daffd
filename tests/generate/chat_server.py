"""A small OpenAI-compatible chat-completions server for tests and benchmarks (127.0.0.1 only).

Raw asyncio HTTP/1.1 with keep-alive, so it is cheap enough to not be the
bottleneck of the generation benchmark, and so that faults can be injected at
the byte level: 429 with Retry-After, 500, hung requests, dropped connections,
malformed JSON, a wrong number of choices. Answers come from a deterministic
script (a hash of the request) or a callable ``answer(body, choice_index)``.

In a test: ``ChatServer().start()`` runs it in a thread; ``server.add_fault(...)``
scripts faults; ``server.log`` lists what every request got. As a script
(``python chat_server.py --latency 0.2``) it prints its URL and serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

FAULT_KINDS = ("rate_limit", "server_error", "hang", "drop", "malformed", "wrong_n", "drop_mid_stream")
Answer = Callable[[dict[str, Any], int], str]


@dataclass
class Fault:
    """``kind`` for the next ``times`` requests whose prompt contains ``match`` (times=None: every one)."""

    kind: str
    times: int | None = 1
    match: str | None = None
    retry_after: float | None = None

    def applies(self, prompt: str) -> bool:
        return (self.times is None or self.times > 0) and (self.match is None or self.match in prompt)


@dataclass
class Served:
    """One request as the server saw it."""

    at: float
    prompt: str
    body: dict[str, Any]
    headers: dict[str, str]
    outcome: str  # "ok" or a fault kind


def prompt_text(body: dict[str, Any]) -> str:
    parts = []
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        else:
            parts.extend(p.get("text", "") for p in content or [] if p.get("type") == "text")
    return "\n".join(parts)


def scripted_answer(body: dict[str, Any], choice_index: int) -> str:
    """Deterministic: the same prompt, seed and choice index always get the same text."""
    digest = hashlib.sha256(f"{prompt_text(body)}|{body.get('seed')}|{choice_index}".encode()).hexdigest()
    return f"Let me look at this step by step. The key value is {digest[:8]}. The answer is \\boxed{{{int(digest[8:12], 16) % 10}}}."


@dataclass
class ChatServer:
    answer: Answer = scripted_answer
    latency: float = 0.0
    latency_jitter: float = 0.0  # uniform extra latency in [0, jitter)
    host: str = "127.0.0.1"
    port: int = 0
    keep_log: bool = True
    # Emulate max_tokens by cutting scripted answers at that many whitespace words. An answer callable that is a
    # real model already honours max_tokens in its own tokens (one token may hold several words): turn it off.
    truncate_words: bool = True
    faults: list[Fault] = field(default_factory=list)
    log: list[Served] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._hung: list[asyncio.Future[None]] = []
        self.in_flight = self.max_in_flight = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def add_fault(self, kind: str, times: int | None = 1, match: str | None = None,
                  retry_after: float | None = None) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {FAULT_KINDS}")
        fault = Fault(kind, times, match, retry_after)
        with self._lock:
            self.faults.append(fault)
        return fault

    def outcomes(self) -> list[str]:
        return [served.outcome for served in self.log]

    def _pick_fault(self, prompt: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.applies(prompt):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    # -- protocol -------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, v in
                           (line.split(":", 1) for line in lines[1:] if ":" in line)}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if not await self._respond(method, path, headers, body, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, asyncio.CancelledError):
            pass  # the client went away, or the server is stopping
        finally:
            writer.close()

    async def _respond(self, method: str, path: str, headers: dict[str, str], raw: bytes,
                       writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False closes the connection."""
        if method == "GET" and path.rstrip("/").endswith("/models"):
            return self._send(writer, 200, {"object": "list", "data": [{"id": "test-model", "object": "model"}]})
        if method != "POST" or path.split("?")[0].rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            return self._send(writer, 404, {"error": {"message": f"no route {method} {path}"}})
        body = json.loads(raw)
        prompt = prompt_text(body)
        fault = self._pick_fault(prompt)
        outcome = fault.kind if fault else "ok"
        if self.keep_log:
            self.log.append(Served(time.monotonic(), prompt, body, headers, outcome))
        delay = self.latency + (random.random() * self.latency_jitter if self.latency_jitter else 0.0)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if delay:
                await asyncio.sleep(delay)
        finally:
            self.in_flight -= 1
        if fault is None or fault.kind in ("wrong_n", "drop_mid_stream"):
            return await self._complete(body, writer, fault)
        if fault.kind == "rate_limit":
            extra = {"retry-after": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            return self._send(writer, 429, {"error": {"message": "rate limited", "type": "rate_limit"}}, extra)
        if fault.kind == "server_error":
            return self._send(writer, 500, {"error": {"message": "internal error", "type": "server_error"}})
        if fault.kind == "malformed" and body.get("stream"):
            data = b'data: {"id": "chatcmpl-x", "choices": [ {"delt\n\ndata: [DONE]\n\n'
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: %d\r\n\r\n%s"
                         % (len(data), data))
            return True
        if fault.kind == "malformed":
            return self._send(writer, 200, b'{"id": "chatcmpl-x", "choices": [ {"mess')
        if fault.kind == "hang":
            waiter = asyncio.get_running_loop().create_future()
            self._hung.append(waiter)
            await waiter  # until the client gives up or the server stops
            return False
        return False  # drop: close without a response

    async def _complete(self, body: dict[str, Any], writer: asyncio.StreamWriter, fault: Fault | None) -> bool:
        n = int(body.get("n") or 1)
        shown = n + 1 if fault is not None and fault.kind == "wrong_n" else n
        texts = [self.answer(body, i) for i in range(shown)]
        prompt_tokens = len(prompt_text(body).split())
        completion_tokens = sum(len(t.split()) for t in texts)
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
        finish = []
        for index, text in enumerate(texts):
            words = text.split()
            if self.truncate_words and max_tokens is not None and len(words) > max_tokens:
                texts[index], reason = " ".join(words[:max_tokens]), "length"
            else:
                reason = "stop"
            finish.append(reason)
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                 "total_tokens": prompt_tokens + completion_tokens}
        model = body.get("model", "test-model")
        if not body.get("stream"):
            choices = [{"index": i, "message": {"role": "assistant", "content": t}, "finish_reason": f,
                        "logprobs": None} for i, (t, f) in enumerate(zip(texts, finish, strict=True))]
            return self._send(writer, 200, {"id": "chatcmpl-test", "object": "chat.completion", "created": 0,
                                            "model": model, "choices": choices, "usage": usage})
        return await self._stream(body, writer, texts, finish, usage, fault)

    async def _stream(self, body: dict[str, Any], writer: asyncio.StreamWriter, texts: list[str],
                      finish: list[str], usage: dict[str, int], fault: Fault | None) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
        base = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": body.get("model")}

        def event(payload: Any) -> None:
            data = b"data: " + (payload if isinstance(payload, bytes) else json.dumps(payload).encode()) + b"\n\n"
            writer.write(b"%x\r\n%s\r\n" % (len(data), data))

        for index, text in enumerate(texts):
            words = text.split(" ")
            for position, word in enumerate(words):
                piece = word if position == 0 else " " + word
                event({**base, "choices": [{"index": index, "delta": {"content": piece}, "finish_reason": None}]})
                if fault is not None and fault.kind == "drop_mid_stream":
                    await writer.drain()
                    return False
            event({**base, "choices": [{"index": index, "delta": {}, "finish_reason": finish[index]}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            event({**base, "choices": [], "usage": usage})
        event(b"[DONE]")
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True

    @staticmethod
    def _send(writer: asyncio.StreamWriter, status: int, payload: Any, extra: dict[str, str] | None = None) -> bool:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        reason = {200: "OK", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error"}[status]
        head = f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(data)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in (extra or {}).items())
        writer.write(head.encode() + b"\r\n" + data)
        return True

    # -- lifecycle ------------------------------------------------------------
    async def serve(self, ready: Callable[[], None] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self._server = await asyncio.start_server(self._handle, self.host, self.port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]
        if ready:
            ready()
        async with self._server:
            await self._server.serve_forever()

    def start(self) -> ChatServer:
        """Serve from a background thread; returns once the port is bound."""
        started = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run(started.set)), daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("test chat server did not start within 10 s")
        return self

    async def _run(self, ready: Callable[[], None]) -> None:
        try:
            await self.serve(ready)
        except asyncio.CancelledError:
            pass

    def stop(self) -> None:
        if self._loop is None or self._server is None:
            return

        def shutdown() -> None:
            for waiter in self._hung:
                if not waiter.done():
                    waiter.set_result(None)
            self._server.close()
            for task in asyncio.all_tasks(self._loop):
                task.cancel()

        self._loop.call_soon_threadsafe(shutdown)
        if self._thread is not None:
            self._thread.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(description="local OpenAI-compatible test server")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before every answer")
    parser.add_argument("--latency-jitter", type=float, default=0.0)
    args = parser.parse_args()
    server = ChatServer(latency=args.latency, latency_jitter=args.latency_jitter, port=args.port, keep_log=False)
    asyncio.run(server.serve(lambda: print(server.url, flush=True)))


if __name__ == "__main__":
    main()
