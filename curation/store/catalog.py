"""The DuckDB catalog: artifacts, lineage edges, funnel counts, rejections.

Connections are short-lived (one per operation) so that several thinkset
commands can use one store one after another without holding DuckDB's lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"


def sql_file(name: str) -> str:
    """Text of a SQL file kept in the top-level ``sql/`` folder."""
    return (SQL_DIR / name).read_text()


class Catalog:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._initialised = False

    def _ddl(self) -> list[str]:
        files = [SQL_DIR / "catalog.sql"] + sorted(SQL_DIR.glob("catalog_*.sql"))
        return [f.read_text() for f in files]

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.path))
        try:
            if not self._initialised:
                for ddl in self._ddl():
                    con.execute(ddl)
                self._initialised = True
            yield con
        finally:
            con.close()

    def query(self, sql: str, params: list | None = None) -> list[dict]:
        """Rows of a query as dicts (for CLI tables and tests)."""
        with self.connect() as con:
            cursor = con.execute(sql, params or [])
            names = [d[0] for d in cursor.description] if cursor.description else []
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
