"""Where a store's files live: a local folder, or a URL that ``pyarrow.fs`` understands.

``file:///abs/path``, ``s3://bucket/prefix`` (options as query parameters, e.g.
``?endpoint_override=127.0.0.1:9000&scheme=http`` for an S3-compatible server; credentials from the usual
AWS environment or config, never from the URL), ``gs://bucket/prefix``, ``hdfs://…``. Object stores have no
rename, so nothing here renames: writers put every object under a key no one else writes (content id plus a
unique suffix) and publish a manifest last (``curation.store.remote``).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(root: str | Path) -> bool:
    """True for ``scheme://…`` (a store on a filesystem URL), False for a plain local path."""
    return isinstance(root, str) and bool(_URL.match(root))


def cache_dir_for(url: str) -> Path:
    """The local folder of a URL store: its DuckDB catalog and a read cache of the snapshots it opened
    (``THINKSET_CACHE`` or ``~/.cache/thinkset``, one folder per URL)."""
    base = Path(os.environ.get("THINKSET_CACHE") or Path.home() / ".cache" / "thinkset")
    return base / "stores" / hashlib.sha256(url.split("?")[0].encode()).hexdigest()[:16]


class StoreFS:
    """A store root on a ``pyarrow.fs`` filesystem; keys are ``/``-separated paths under the root."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self.fs, self.base = pafs.FileSystem.from_uri(url)
        except (pa.ArrowInvalid, OSError, ValueError) as exc:
            raise ValueError(f"store URL {url.split('?')[0]!r} is not understood by pyarrow.fs ({exc}); use "
                             "file:///abs/path, s3://bucket/prefix or gs://bucket/prefix") from None
        self.base = self.base.rstrip("/")

    def path(self, key: str) -> str:
        return f"{self.base}/{key}" if self.base else key

    def put_bytes(self, key: str, data: bytes) -> None:
        self._mkdir_parent(key)
        with self.fs.open_output_stream(self.path(key)) as out:
            out.write(data)

    def put_file(self, local: Path, key: str) -> None:
        self._mkdir_parent(key)
        pafs.copy_files(str(local), self.path(key), source_filesystem=pafs.LocalFileSystem(),
                        destination_filesystem=self.fs)

    def get_bytes(self, key: str) -> bytes:
        with self.fs.open_input_stream(self.path(key)) as stream:
            return stream.read()

    def get_file(self, key: str, local: Path) -> None:
        local.parent.mkdir(parents=True, exist_ok=True)
        partial = local.with_name(local.name + ".partial")
        pafs.copy_files(self.path(key), str(partial), source_filesystem=self.fs,
                        destination_filesystem=pafs.LocalFileSystem())
        partial.replace(local)  # a local rename: an interrupted download never looks complete

    def exists(self, keys: list[str]) -> list[bool]:
        infos = self.fs.get_file_info([self.path(k) for k in keys]) if keys else []
        return [info.type != pafs.FileType.NotFound for info in infos]

    def list(self, prefix: str) -> list[str]:
        """Keys of the files under ``prefix`` (recursive), sorted."""
        selector = pafs.FileSelector(self.path(prefix), recursive=True, allow_not_found=True)
        cut = len(self.base) + 1 if self.base else 0
        return sorted(info.path[cut:] for info in self.fs.get_file_info(selector) if info.type == pafs.FileType.File)

    def sizes(self, prefix: str) -> dict[str, tuple[int, float | None]]:
        """Key -> (bytes, modified time in epoch seconds or None) of every file under ``prefix`` (recursive)."""
        selector = pafs.FileSelector(self.path(prefix), recursive=True, allow_not_found=True)
        cut = len(self.base) + 1 if self.base else 0
        return {info.path[cut:]: (info.size, info.mtime.timestamp() if info.mtime else None)
                for info in self.fs.get_file_info(selector) if info.type == pafs.FileType.File}

    def sha256(self, key: str) -> str:
        """The sha256 of an object, streamed (never held whole in memory)."""
        digest = hashlib.sha256()
        with self.fs.open_input_stream(self.path(key)) as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()

    def delete(self, key: str) -> None:
        self.fs.delete_file(self.path(key))

    def _mkdir_parent(self, key: str) -> None:
        if isinstance(self.fs, pafs.LocalFileSystem):  # object stores have no folders to make
            self.fs.create_dir(self.path(key).rsplit("/", 1)[0], recursive=True)
