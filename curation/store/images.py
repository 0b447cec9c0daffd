"""Content-addressed image store: every image's bytes live once, under their sha256."""

from __future__ import annotations

import hashlib
import io
import os
import re
from pathlib import Path

from PIL import Image

from curation.faults import faultpoint

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ImageNotFound(FileNotFoundError):
    """A row references an image hash that is not in the store."""


class ImageStore:
    """Bytes under ``<root>/<sha[:2]>/<sha>``; writes are atomic (temp file + rename) and idempotent."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._unsynced = 0

    def path(self, sha: str) -> Path:
        if not _SHA256.match(str(sha)):  # an id read from a row is data: it never names a path outside the store;
            # one that is not a sha256 names a file that cannot exist, so every reader reports it missing
            return self.root / "not-an-image-id" / hashlib.sha256(str(sha).encode()).hexdigest()
        return self.root / sha[:2] / sha

    def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if target.exists():
            # refreshed, so that a `store gc` that began before this run never removes an image it reuses
            os.utime(target)
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{sha}.{os.getpid()}.tmp")
        with open(tmp, "wb") as handle:
            handle.write(data)
        faultpoint("images.put")
        os.replace(tmp, target)
        # One sync per snapshot commit (flush) instead of one fsync per image: 100k fsyncs cost minutes.
        self._unsynced += 1
        return sha

    def flush(self) -> None:
        """Make every image written so far durable; called before a snapshot that references them is listed."""
        if self._unsynced:
            os.sync()
            self._unsynced = 0

    def exists(self, sha: str) -> bool:
        return self.path(sha).exists()

    def get(self, sha: str) -> bytes:
        try:
            return self.path(sha).read_bytes()
        except FileNotFoundError:
            raise ImageNotFound(f"image {sha} is not in the image store {self.root}") from None

    def open(self, sha: str) -> Image.Image:
        image = Image.open(io.BytesIO(self.get(sha)))
        image.load()
        return image

    def disk_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())
