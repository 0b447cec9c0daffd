"""`thinkset export`: a snapshot as plain files, one function per format in a small registry.

An exporter is ``fn(snapshot, store, out_dir, **options) -> dict`` (a summary with at
least ``format``, ``path``, ``rows``, ``files``). Formats here: ``hf`` (the Hub
folder ``publish --dry-run`` writes, without the check gate), ``jsonl`` and
``parquet`` (rows plus an ``images/`` folder, ``images`` = relative paths).
Trainer layouts (llamafactory, easyr1, trl) come from ``training.exports.EXPORT_FORMATS``
when the training package is importable; add a format with ``EXPORTERS[name] = fn``.
"""

from __future__ import annotations

import importlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
from PIL import Image

from curation.store import Snapshot, Store

Exporter = Callable[..., dict[str, Any]]
# Modules whose EXPORT_FORMATS dict joins the registry (imported on first use; skipped if missing).
EXTRA_FORMAT_MODULES = ("training.exports",)


def write_image_file(store: Store, sha: str, images_dir: Path) -> str:
    """Write a stored image once as ``images/<sha>.<ext>``; return its path relative to the export folder."""
    data = store.images.get(sha)
    extension = (Image.open(io.BytesIO(data)).format or "png").lower().replace("jpeg", "jpg")
    target = images_dir / f"{sha}.{extension}"
    if not target.exists():
        images_dir.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return f"{images_dir.name}/{target.name}"


def _rows_with_image_paths(snapshot: Snapshot, store: Store, out_dir: Path) -> pl.DataFrame:
    frame = snapshot.read()
    images_dir = out_dir / "images"
    paths = [[write_image_file(store, sha, images_dir) for sha in ids or []] for ids in frame["image_ids"].to_list()]
    return frame.with_columns(pl.Series("images", paths, dtype=pl.List(pl.Utf8)))


def export_jsonl(snapshot: Snapshot, store: Store, out_dir: Path, **_: Any) -> dict[str, Any]:
    out_dir.mkdir(parents=True, exist_ok=True)
    frame = _rows_with_image_paths(snapshot, store, out_dir)
    target = out_dir / f"{snapshot.info.name}-v{snapshot.info.version}.jsonl"
    with target.open("w") as handle:
        for row in frame.iter_rows(named=True):
            handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    return {"format": "jsonl", "path": str(out_dir), "rows": frame.height, "files": [target.name, "images/"]}


def export_parquet(snapshot: Snapshot, store: Store, out_dir: Path, **_: Any) -> dict[str, Any]:
    out_dir.mkdir(parents=True, exist_ok=True)
    frame = _rows_with_image_paths(snapshot, store, out_dir)
    target = out_dir / f"{snapshot.info.name}-v{snapshot.info.version}.parquet"
    frame.write_parquet(target, compression="zstd")
    return {"format": "parquet", "path": str(out_dir), "rows": frame.height, "files": [target.name, "images/"]}


def export_hf(snapshot: Snapshot, store: Store, out_dir: Path, *, repo: str | None = None,
              license: str = "other", **_: Any) -> dict[str, Any]:
    from curation.publish.card import CardOptions
    from curation.publish.publish import build_folder

    layout, card = build_folder(store, snapshot, out_dir, CardOptions(repo=repo, license=license))
    return {"format": "hf", "path": str(out_dir), "rows": layout.rows, "files": layout.relative_files(),
            "card": str(card)}


EXPORTERS: dict[str, Exporter] = {"hf": export_hf, "jsonl": export_jsonl, "parquet": export_parquet}


def exporters() -> dict[str, Exporter]:
    """Every known format: ours plus those of EXTRA_FORMAT_MODULES that import."""
    formats = dict(EXPORTERS)
    for module_name in EXTRA_FORMAT_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # the training extra is not installed
            continue
        formats.update({k: v for k, v in getattr(module, "EXPORT_FORMATS", {}).items() if k not in formats})
    return formats


def export_snapshot(snapshot: Snapshot, store: Store, fmt: str, out_dir: str | Path,
                    **options: Any) -> dict[str, Any]:
    """Write ``snapshot`` as ``fmt`` under ``out_dir``; ValueError names the known formats."""
    formats = exporters()
    if fmt not in formats:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(sorted(formats))}")
    return formats[fmt](snapshot, store, Path(out_dir), **options)
