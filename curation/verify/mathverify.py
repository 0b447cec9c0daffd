"""The slow path: math-verify on normalized (gold, prediction) pairs, each call time-bounded.

math-verify's own timeouts use ``signal.alarm`` and fail outside the main thread, so they are
disabled here and replaced by ours: a SIGALRM interval timer around each call when we run on a
main thread (always true in the pool's forked worker processes), and a worker process with a deadline
otherwise. A pool worker stuck in C code past its deadline is killed and replaced. Gold answers
are parsed once per process (``parse_gold`` is cached).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import lru_cache
from typing import Any

PER_CALL_SECONDS = 2.0
CHUNK_PAIRS = 16
logging.getLogger("math_verify").setLevel(logging.ERROR)  # it warns that we disabled its timeout


class CallTimeout(Exception):
    """A math-verify call ran past its bound."""


# What ``bounded`` returns when the call itself failed (a bug or a parser crash, not a "no match").
ERROR = "error"
Outcome = bool | None | str  # True, False, None (timed out) or ERROR


def _parse(text: str) -> list[Any]:
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse

    configs = [LatexExtractionConfig(), ExprExtractionConfig()]
    return parse(f"${text}$", extraction_config=configs, parsing_timeout=None) \
        or parse(text, extraction_config=configs, parsing_timeout=None)


@lru_cache(maxsize=16_384)
def parse_gold(text: str) -> list[Any]:
    return _parse(text)


def verify_pair(gold: str, pred: str) -> bool:
    """math-verify's judgement of two normalized answers; unbounded, call through ``bounded``.

    An interval and the inequality that defines it are the same answer (``(0,5]`` = ``0 < x \\le 5``),
    and so are two equations of the same relation (``x + 2y = 4`` = ``y = 2 - x/2``).
    """
    from math_verify import verify

    gold_parsed, pred_parsed = parse_gold(gold), _parse(pred)
    if not gold_parsed or not pred_parsed:
        return False
    return bool(verify(gold_parsed, pred_parsed, timeout_seconds=None, allow_set_relation_comp=True))


def _on_alarm(signum: int, frame: Any) -> None:
    raise CallTimeout()


def bounded(fn: Callable[..., bool], seconds: float, *args: Any) -> Outcome:
    """``fn(*args)`` stopped after ``seconds`` (None); an exception gives ``ERROR``. Main thread only."""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args)
    except CallTimeout:
        return None
    except Exception:  # noqa: BLE001 - reported as ERROR, never as a crash and never as "wrong"
        return ERROR
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def verify_chunk(pairs: Sequence[tuple[str, str]], seconds: float) -> list[Outcome]:
    """Worker entry point: one bounded math-verify call per pair (None = timed out, ERROR = it failed)."""
    return [bounded(verify_pair, seconds, gold, pred) for gold, pred in pairs]


# A fresh worker's first calls import sympy and set up its parsers (~0.3 s); these pairs touch
# fractions, roots and polynomials so that the real calls start warm.
WARM_PAIRS = (("1", "1"), ("\\frac{1}{2}", "0.5"), ("2\\sqrt{2}", "\\sqrt{8}"), ("x^2-1", "(x-1)(x+1)"))


class VerifyPool:
    """Process pool for math-verify with per-call bounds and a parent-side deadline per chunk."""

    def __init__(self, workers: int | None = None, seconds: float = PER_CALL_SECONDS) -> None:
        self.workers = max(1, workers or min(4, os.cpu_count() or 1))
        self.seconds = seconds
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # fork, not spawn/forkserver: those re-import the caller's __main__, which breaks any script
            # without a __main__ guard. The children only run math-verify (pure Python), never Polars,
            # so the parent's Rust threads are not a hazard; a hung child is killed at its deadline.
            self._executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"))
        return self._executor

    def warm(self) -> None:
        """Start the workers now; each loads math-verify in its own process while the caller works on."""
        if self._executor is None:
            for _ in range(self.workers):
                self._pool().submit(verify_chunk, WARM_PAIRS, self.seconds)

    def verify(self, pairs: Sequence[tuple[str, str]]) -> list[Outcome]:
        """Verdicts in the order of ``pairs``: None where a call timed out (or its worker was stuck past
        the deadline), ERROR where it failed or its worker died."""
        if not pairs:
            return []
        order = sorted(range(len(pairs)), key=lambda i: pairs[i])  # same gold together: cache hits
        chunks = [order[i:i + CHUNK_PAIRS] for i in range(0, len(order), CHUNK_PAIRS)]
        results: list[Outcome] = [None] * len(pairs)
        futures: list[tuple[list[int], Future[list[Outcome]]]] = [
            (chunk, self._pool().submit(verify_chunk, [pairs[i] for i in chunk], self.seconds)) for chunk in chunks]
        broken = False
        for chunk, future in futures:
            try:
                # generous: the worker bounds each call itself; this only catches a worker stuck in C code
                answers = future.result(timeout=None if broken else len(chunk) * self.seconds + 15)
            except FutureTimeout:
                broken = True
                self._kill()
                continue
            except Exception:  # noqa: BLE001 - a dead worker (BrokenProcessPool): a grader failure, not a timeout
                broken = True
                for index in chunk:
                    results[index] = ERROR
                continue
            for index, answer in zip(chunk, answers, strict=True):
                results[index] = answer
        if broken:
            self.close()
        return results

    def _kill(self) -> None:
        if self._executor is not None:
            for process in list(getattr(self._executor, "_processes", {}).values()):
                process.kill()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


_shared: VerifyPool | None = None
_shared_lock = threading.Lock()


def verify_bounded(gold: str, pred: str, seconds: float = PER_CALL_SECONDS) -> Outcome:
    """One bounded call: in-process on the main thread, else through a shared one-worker pool."""
    global _shared
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        return bounded(verify_pair, seconds, gold, pred)
    with _shared_lock:
        if _shared is None:
            _shared = VerifyPool(workers=1, seconds=seconds)
    return _shared.verify([(gold, pred)])[0]
