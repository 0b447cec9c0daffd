"""Reading an immutable snapshot: its manifest, rows, and rejections."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from curation.rows import REJECTIONS_SCHEMA

MANIFEST = "manifest.json"
DATA_DIR = "data"
REJECTIONS_DIR = "rejections"


def sha256_file(path: Path) -> str:
    """The sha256 (hex) of a file's bytes: what a manifest records per file and `store verify` re-checks."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()



@dataclass
class SnapshotInfo:
    id: str
    name: str
    version: int
    kind: str
    rows: int
    path: Path
    created_at: datetime
    code_version: str = ""
    parents: list[str] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"{self.name}@v{self.version}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        data["created_at"] = self.created_at.isoformat()
        data["ref"] = self.ref
        return data


class Snapshot:
    """A committed snapshot. Nothing here writes: versions are never modified."""

    def __init__(self, info: SnapshotInfo) -> None:
        self.info = info
        self.path = info.path

    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads((self.path / MANIFEST).read_text())

    @property
    def files(self) -> list[Path]:
        return sorted((self.path / DATA_DIR).glob("*.parquet"))

    def scan(self) -> pl.LazyFrame:
        return pl.scan_parquet([str(f) for f in self.files])

    def read(self) -> pl.DataFrame:
        return self.scan().collect()

    def rejection_files(self) -> list[Path]:
        return sorted((self.path / REJECTIONS_DIR).glob("*.parquet"))

    def rejections(self) -> pl.LazyFrame:
        files = self.rejection_files()
        if not files:
            return pl.LazyFrame(schema=REJECTIONS_SCHEMA)
        return pl.scan_parquet([str(f) for f in files])

    def __repr__(self) -> str:
        return f"Snapshot({self.info.ref}, kind={self.info.kind}, rows={self.info.rows})"
