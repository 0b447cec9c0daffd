"""The store's write lock: writers queue on it for their short catalog commits; readers never take it.

A kernel file lock (``filelock``) on ``catalog.duckdb.lock`` next to the catalog: the kernel releases it when
the holder dies, however it dies, so a killed writer never blocks the store. Beside it,
``catalog.duckdb.lock.holder`` records who holds it (pid, host, command, since) so that a waiting writer can
say what it waits for; a record whose pid is gone on this host is stale and is reported as such.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from curation.redact import redact_text

NOTICE_AFTER_S = 0.5  # a wait shorter than this is a normal queue, not worth a message
POLL_S = 0.05


@dataclass(frozen=True)
class Holder:
    pid: int
    host: str
    command: str
    since: str  # ISO time, UTC

    @classmethod
    def me(cls) -> Holder:
        return cls(pid=os.getpid(), host=socket.gethostname(), command=current_command(),
                   since=datetime.now(UTC).isoformat(timespec="seconds"))

    def alive(self) -> bool | None:
        """Whether the holder process still exists (None: it runs on another host, unknown)."""
        return pid_alive(self.pid) if self.host == socket.gethostname() else None

    def describe(self) -> str:
        where = "" if self.host == socket.gethostname() else f" on {self.host}"
        return f"pid {self.pid}{where} running `{self.command}` since {self.since}"


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def current_command() -> str:
    """This process's command line, as the user typed it (``thinkset run ...`` for the console script), with
    credentials in URLs redacted: it is written beside the catalog and shown to every process that waits."""
    argv = list(sys.argv) or ["python"]
    if Path(argv[0]).name in ("thinkset", "__main__.py"):
        argv[0] = "thinkset"
    return redact_text(shlex.join(argv))[:300]


def _print_notice(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class StoreLock:
    """``with lock.hold(): ...`` — reentrant in one process; waits (with a notice) for another process's hold."""

    def __init__(self, path: Path, notice: Callable[[str], None] = _print_notice) -> None:
        self.path = Path(path)
        self.holder_path = self.path.with_name(self.path.name + ".holder")
        self.notice = notice
        self._lock = FileLock(str(self.path), thread_local=False)
        self._depth = 0

    def holder(self) -> Holder | None:
        """Who holds (or last held) the lock, from the record beside it; None when there is no record."""
        try:
            return Holder(**json.loads(self.holder_path.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def stale_holder(self) -> Holder | None:
        """The recorded holder when its process is gone on this host (the kernel lock is free again)."""
        holder = self.holder()
        return holder if holder is not None and holder.alive() is False else None

    @contextmanager
    def hold(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the lock for the block; ``timeout`` seconds at most to wait (None: as long as it takes)."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._acquire(timeout)
        self._depth = 1
        try:
            self.holder_path.write_text(json.dumps(asdict(Holder.me())))
            yield
        finally:
            self._depth = 0
            self.holder_path.unlink(missing_ok=True)
            self._lock.release()

    def _acquire(self, timeout: float | None) -> None:
        started = time.monotonic()
        noticed = False
        while True:
            try:
                self._lock.acquire(timeout=NOTICE_AFTER_S if not noticed else POLL_S * 20, poll_interval=POLL_S)
                return
            except Timeout:
                waited = time.monotonic() - started
                if timeout is not None and waited >= timeout:
                    raise TimeoutError(f"the store lock {self.path} is still held after {waited:.0f} s "
                                       f"({self._who()}); try again when it is done") from None
                if not noticed:
                    self.notice(f"waiting for the store lock held by {self._who()}")
                    noticed = True

    def _who(self) -> str:
        holder = self.holder()
        if holder is None:
            return "another thinkset process"
        if holder.alive() is False:
            return f"a child of pid {holder.pid} (gone: its record is stale) which inherited the lock"
        return holder.describe()
