"""Names and paths that come from users (recipes, CLI arguments, dataset rows) checked before they touch disk.

A snapshot name becomes a folder under the store, so it is one plain path segment: letters, digits, ``.``,
``_``, ``-``, starting with a letter or digit (no ``/``, no ``..``, no absolute path, no ``@``). A file path
taken from data (an image path in a dataset row) must stay inside the folder it is resolved against, after
following ``..`` and symlinks.
"""

from __future__ import annotations

import re
from pathlib import Path

SNAPSHOT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


class UnsafeName(ValueError):
    """A snapshot name that could not be a single folder of the store."""


def check_snapshot_name(name: object, where: str = "snapshot name") -> str:
    """``name`` if it is a plain snapshot name; else UnsafeName saying what is allowed."""
    if not isinstance(name, str) or not SNAPSHOT_NAME.match(name) or ".." in name:
        raise UnsafeName(f"{where}: {name!r} is not a snapshot name; use letters, digits, '.', '_' and '-', "
                         "starting with a letter or digit (no '/', '..', '@' or spaces), e.g. sft-iter1")
    return name


def check_path_segment(value: object, where: str) -> str:
    """``value`` if it can name one folder (a recipe or stage name in the store's work dir): no ``/``, ``\\``,
    NUL, and not ``.`` or ``..``; else UnsafeName."""
    text = str(value)
    if not text or text in (".", "..") or any(c in text for c in "/\\\x00"):
        raise UnsafeName(f"{where}: {text!r} cannot name a folder; leave out '/', '\\' and NUL, and do not use "
                         "'.' or '..'")
    return text


def resolve_inside(root: Path, path: str | Path) -> Path | None:
    """``path`` (relative to ``root``, or absolute) resolved through ``..`` and symlinks, if it stays inside
    ``root``; None if it escapes."""
    root = Path(root).resolve()
    candidate = Path(path).expanduser()
    resolved = (candidate if candidate.is_absolute() else root / candidate).resolve()
    return resolved if resolved.is_relative_to(root) else None
