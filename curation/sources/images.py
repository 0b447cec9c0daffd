"""Turn the image values datasets carry into bytes: HF Image dicts, PIL images, raw bytes or file paths."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image

from curation.safe_paths import resolve_inside


class RowError(Exception):
    """A row that cannot become a pool record; ``reason`` is a short code, ``detail`` says what and where."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def as_list(value: Any) -> list[Any]:
    """A single image value, a list of them, or nothing, as a list."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [v for v in value if v is not None]
    return [value]


def image_bytes(value: Any, root: Path | None) -> bytes:
    """Bytes of one image value, checked to decode as an image; relative paths resolve against ``root``."""
    if isinstance(value, dict):
        data = value.get("bytes")
        if not data and value.get("path"):
            data = _read_path(str(value["path"]), root)
    elif isinstance(value, Image.Image):
        buffer = io.BytesIO()
        value.save(buffer, format="PNG")
        data = buffer.getvalue()
    elif isinstance(value, bytes | bytearray):
        data = bytes(value)
    elif isinstance(value, str):
        data = _read_path(value, root)
    else:
        raise RowError("bad_image", f"unsupported image value of type {type(value).__name__}")
    if not data:
        raise RowError("missing_image", "image value has neither bytes nor a path")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()  # header and checksums only; a full decode is the image filter's job
    except Exception as exc:
        raise RowError("bad_image", f"image does not decode ({type(exc).__name__}: {exc})") from exc
    return data


def _read_path(path: str, root: Path | None) -> bytes:
    """Bytes of an image file named in a row; the file must lie inside the dataset folder ``root``
    (after ``..`` and symlinks), so a dataset cannot make ingest read files elsewhere on the machine."""
    if path.startswith(("http://", "https://")):
        raise RowError("missing_image", f"remote image {path!r}: download images first, ingest reads local files")
    if root is None:
        raise RowError("image_outside_source", f"image path {path!r} in a hub dataset: ingest reads only image "
                       "bytes from the hub, never local files a dataset names")
    candidate = resolve_inside(root, path)
    if candidate is None:
        raise RowError("image_outside_source", f"image path {path!r} points outside the dataset folder {root} "
                       "(through '..', an absolute path or a symlink); copy the image into the folder")
    if not candidate.is_file():
        raise RowError("missing_image", f"image file {path!r} not found (looked at {candidate})")
    return candidate.read_bytes()
