"""`thinkset export`: a snapshot as plain files, one function per format in a small registry.

An exporter is ``fn(snapshot, store, out_dir, **options) -> dict`` (a summary with at
least ``format``, ``path``, ``rows``, ``files``). Formats here: ``hf`` (the Hub
folder ``publish --dry-run`` writes, without the check gate), ``jsonl`` and
``parquet`` (rows plus an ``images/`` folder, ``images`` = relative paths).

Other packages add formats through the ``thinkset.exporters`` entry point group (name = format,
value = ``module:function [extra]``); the training package adds its trainer layouts (llamafactory,
easyr1, trl) that way, so nothing here imports ``training``. In-process, ``EXPORTERS[name] = fn`` works too.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import polars as pl
from PIL import Image

from curation.store import Snapshot, Store

Exporter = Callable[..., dict[str, Any]]
ENTRY_POINT_GROUP = "thinkset.exporters"


class ExporterUnavailable(RuntimeError):
    """An export format is declared but its code cannot be imported (a missing extra); says what to install."""


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


def plugin_exporters() -> dict[str, EntryPoint]:
    """Formats other installed packages declare (not imported yet), by name; ours win on a clash."""
    return {point.name: point for point in entry_points(group=ENTRY_POINT_GROUP) if point.name not in EXPORTERS}


def export_formats() -> list[str]:
    """Every known format name, ours and the declared ones, without importing any exporter."""
    return sorted({*EXPORTERS, *plugin_exporters()})


def load_exporter(point: EntryPoint) -> Exporter:
    """The exporter an entry point names; ExporterUnavailable names the extra to install when it cannot import."""
    try:
        return point.load()
    except ImportError as exc:
        extras = ",".join(point.extras)
        install = f"pip install 'thinkset[{extras}]'" if extras else f"install what {point.module} needs"
        raise ExporterUnavailable(f"export format {point.name!r} comes from {point.module}:{point.attr}, which "
                                  f"cannot be imported ({type(exc).__name__}: {exc}); {install}") from exc


def get_exporter(fmt: str) -> Exporter:
    """The exporter of ``fmt``; ValueError names the known formats."""
    if fmt in EXPORTERS:
        return EXPORTERS[fmt]
    plugins = plugin_exporters()
    if fmt not in plugins:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(export_formats())}")
    return load_exporter(plugins[fmt])


def exporters() -> dict[str, Exporter]:
    """Every known format with its exporter (imports the declared ones; raises ExporterUnavailable)."""
    return {fmt: get_exporter(fmt) for fmt in export_formats()}


def export_snapshot(snapshot: Snapshot, store: Store, fmt: str, out_dir: str | Path,
                    **options: Any) -> dict[str, Any]:
    """Write ``snapshot`` as ``fmt`` under ``out_dir``; ValueError names the known formats."""
    return get_exporter(fmt)(snapshot, store, Path(out_dir), **options)
