"""The generation cache: every finished request, durable before it counts.

SQLite in WAL mode with ``synchronous=FULL``: a commit is fsynced, so a result
that was committed survives kill -9 and power loss. Results are committed in
small batches (``commit_every`` results or ``commit_seconds``, whichever comes
first); a crash loses at most the uncommitted tail, which the next run simply
asks for again. Only successes are served from the cache; permanent failures
are recorded (with their error) for the report and retried by the next run.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from curation.faults import faultpoint
from curation.generate.base import GenerationResult

SCHEMA = """
CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, result TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS failures (key TEXT PRIMARY KEY, error TEXT NOT NULL, attempts INTEGER,
                                     created_at TEXT NOT NULL);
"""


class GenerationCache:
    """Append-only store of results by request key; use as a context manager (flushes on exit)."""

    def __init__(self, path: str | Path, *, commit_every: int = 32, commit_seconds: float = 0.5) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.commit_every, self.commit_seconds = commit_every, commit_seconds
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self._pending: list[GenerationResult] = []
        self._last_commit = time.monotonic()

    def __enter__(self) -> GenerationCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get_many(self, keys: Iterable[str]) -> dict[str, GenerationResult]:
        """Cached successes among ``keys``."""
        found: dict[str, GenerationResult] = {}
        keys = list(keys)
        for start in range(0, len(keys), 900):  # SQLite's bound-parameter limit
            chunk = keys[start:start + 900]
            marks = ",".join("?" * len(chunk))
            for key, text in self._db.execute(f"SELECT key, result FROM results WHERE key IN ({marks})", chunk):
                found[key] = GenerationResult.from_json(key, text)
        return found

    def put(self, result: GenerationResult) -> None:
        """Queue a result; it is durable after the next commit (at most ``commit_every`` results later)."""
        self._pending.append(result)
        if len(self._pending) >= self.commit_every or time.monotonic() - self._last_commit >= self.commit_seconds:
            self.flush()

    def flush(self) -> None:
        """Commit (and fsync) everything queued."""
        if not self._pending:
            return
        now = datetime.now(UTC).isoformat()
        ok = [(r.key, r.to_json(), now) for r in self._pending if r.ok]
        failed = [(r.key, r.error, r.attempts, now) for r in self._pending if not r.ok]
        self._db.execute("BEGIN")
        self._db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?, ?)", ok)
        self._db.executemany("INSERT OR REPLACE INTO failures VALUES (?, ?, ?, ?)", failed)
        self._db.executemany("DELETE FROM failures WHERE key = ?", [(key,) for key, _, _ in ok])
        faultpoint("generate.cache_commit")
        self._db.execute("COMMIT")
        self._pending.clear()
        self._last_commit = time.monotonic()

    def failures(self) -> dict[str, str]:
        """Requests whose last attempt failed for good: key -> error."""
        return dict(self._db.execute("SELECT key, error FROM failures ORDER BY key"))

    def count(self) -> int:
        return self._db.execute("SELECT count(*) FROM results").fetchone()[0]

    def close(self) -> None:
        self.flush()
        self._db.close()
