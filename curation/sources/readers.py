"""Open a local dataset (HF saved dataset, parquet/jsonl/json/csv/arrow files or folders) or a hub id as rows.

Rows stream through `datasets` (no Arrow cache written, memory flat in row count) with image
decoding switched off, so images arrive as the original bytes (``{"bytes", "path"}``) and are
stored as they are, never re-encoded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Any

# File extension -> the `datasets` packaged builder that reads it.
BUILDERS = {".parquet": "parquet", ".jsonl": "json", ".json": "json", ".csv": "csv", ".arrow": "arrow"}
SAVED_DATASET_MARKERS = ("dataset_dict.json", "state.json")
_HUB_ID = re.compile(r"^[\w.-]+(/[\w.-]+)?$")


class SourceError(ValueError):
    """The path cannot be read as a dataset; the message says what was found and what to do."""


@dataclass
class SplitRows:
    """Rows of one split: ``columns`` comes from the features or, for schemaless json, the first rows."""

    split: str
    columns: list[str]
    rows: Iterator[dict[str, Any]]


@dataclass
class OpenedSource:
    location: str  # the path or hub id as given, for messages and metadata
    root: Path | None  # folder that relative image paths are resolved against (None for a hub id)
    splits: list[SplitRows]
    name: str  # default source label: folder / file stem / last part of the hub id


def open_source(path: str, split: str | None = None) -> OpenedSource:
    """Open ``path`` for reading; ``split`` keeps one split (all splits, in order, when None)."""
    local = Path(path).expanduser()
    if local.exists():
        root = local if local.is_dir() else local.parent
        name = local.name if local.is_dir() else local.stem
        splits = _open_local(local)
    elif _HUB_ID.match(path):
        root, name = None, path.rstrip("/").split("/")[-1]
        splits = _open_hub(path)
    else:
        raise SourceError(f"{path}: no such file or folder (and it is not a hub dataset id like 'org/name')")
    if split is not None:
        if split not in splits:
            raise SourceError(f"{path}: no split {split!r}; splits found: {', '.join(splits) or 'none'}")
        splits = {split: splits[split]}
    return OpenedSource(location=path, root=root, splits=[_split_rows(n, d) for n, d in splits.items()], name=name)


def _open_local(local: Path) -> dict[str, Any]:
    import datasets

    if local.is_dir() and any((local / marker).exists() for marker in SAVED_DATASET_MARKERS):
        saved = datasets.load_from_disk(str(local))
        if isinstance(saved, datasets.Dataset):
            return {"train": saved.to_iterable_dataset()}
        return {name: part.to_iterable_dataset() for name, part in saved.items()}
    if local.is_file():
        builder = BUILDERS.get(local.suffix.lower())
        if builder is None:
            raise SourceError(f"{local}: unsupported file type {local.suffix!r}; "
                              f"readable types: {', '.join(sorted(BUILDERS))}")
        return dict(datasets.load_dataset(builder, data_files={"train": str(local)}, streaming=True))
    if (local / "README.md").exists() and "configs:" in (local / "README.md").read_text(errors="replace"):
        # A hub-style repo folder whose card declares its configs: let `datasets` follow them.
        return dict(datasets.load_dataset(str(local), streaming=True))
    builder, files = _data_files(local)
    return dict(datasets.load_dataset(builder, data_files=files, streaming=True))


def _data_files(folder: Path) -> tuple[str, dict[str, list[str]]]:
    """Tabular files of a folder grouped by split, as `datasets` names splits (train/test/validation).

    Picked by hand because ``load_dataset(folder)`` picks the most common extension, and a folder
    of one jsonl plus its PNGs would be read as an image folder.
    """
    from datasets.data_files import DataFilesDict, get_data_patterns

    by_split = DataFilesDict.from_patterns(get_data_patterns(str(folder)), base_path=str(folder))
    tabular = {str(split): [f for f in files if Path(f).suffix.lower() in BUILDERS and "/." not in f]
               for split, files in by_split.items()}
    found = [f for files in tabular.values() for f in files]
    if not found:
        raise SourceError(f"{folder}: no data files found (looked for {', '.join(sorted(BUILDERS))}); "
                          "point to a folder with parquet/jsonl files, a saved HF dataset, or one file")
    builders = {BUILDERS[Path(f).suffix.lower()] for f in found}
    if len(builders) > 1:
        raise SourceError(f"{folder}: mixed data file types ({', '.join(sorted(builders))}); "
                          "ingest one file or one folder per type")
    return builders.pop(), {split: files for split, files in tabular.items() if files}


def _open_hub(dataset_id: str) -> dict[str, Any]:
    import datasets

    try:
        return dict(datasets.load_dataset(dataset_id, streaming=True))
    except Exception as exc:  # offline, unknown id, gated: all end the run with the same advice
        raise SourceError(f"{dataset_id}: not a local path, and loading it from the hub failed "
                          f"({type(exc).__name__}: {exc}); download it first or pass a local folder") from exc


def _split_rows(split: str, dataset: Any) -> SplitRows:
    if dataset.features:  # schemaless json has nothing to decode (and `decode` refuses it)
        dataset = dataset.decode(False)  # original image bytes, no PIL round trip
    rows = iter(dataset)
    columns = list(dataset.column_names or [])
    if not columns:  # schemaless json: the union of the first rows' keys
        head = list(islice(rows, 20))
        columns = list(dict.fromkeys(key for row in head for key in row))
        rows = chain(head, rows)
    return SplitRows(split=split, columns=columns, rows=rows)
