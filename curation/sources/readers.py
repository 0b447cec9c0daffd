"""Open a local dataset (HF saved dataset, parquet/jsonl/json/csv/arrow files or folders) or a hub id as rows.

Rows stream through `datasets` (no Arrow cache written, memory flat in row count) with image
decoding switched off, so images arrive as the original bytes (``{"bytes", "path"}``) and are
stored as they are, never re-encoded.

Hostile input never ends a read: data files are read one at a time, so a corrupt file or one whose
column types differ from its siblings costs only its own rows; JSON Lines are parsed line by line
here, so a line that is not JSON, not UTF-8 or not an object costs only that line. Each such loss
comes through the row stream as an `UnreadableRows` naming the file (and line), and is quarantined.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Any

from curation.rows import StageFailed

# File extension -> the `datasets` packaged builder that reads it.
BUILDERS = {".parquet": "parquet", ".jsonl": "json", ".json": "json", ".csv": "csv", ".arrow": "arrow"}
SAVED_DATASET_MARKERS = ("dataset_dict.json", "state.json")
MAX_JSON_DOCUMENT_BYTES = 64 << 20  # a .json starting with "{" is tried as one object below this size
_HUB_ID = re.compile(r"^[\w.-]+(/[\w.-]+)?$")


class SourceError(StageFailed, ValueError):
    """The path cannot be read as a dataset; the message says what was found and what to do."""


@dataclass
class UnreadableRows:
    """Stands in a row stream where rows could not be read: a bad line, or the rest of a bad file."""

    reason: str  # not_json | not_utf8 | unreadable_file
    detail: str
    location: str  # the file, so the user knows which one to fix


@dataclass
class SplitRows:
    """Rows of one split: ``columns`` comes from the features or, for schemaless json, the first rows
    (``schemaless``: rows may each have their own keys)."""

    split: str
    columns: list[str]
    rows: Iterator[dict[str, Any]]
    schemaless: bool = False
    position: RowPosition | None = None  # where the last row came from, when rows are read file by file

    def where(self, location: str) -> str:
        """``location``, plus the file and the row within it of the last row read (when known)."""
        if self.position is None or self.position.file is None:
            return location
        return f"{location}, file {Path(self.position.file).name} row {self.position.row}"


@dataclass
class RowPosition:
    file: str | None = None
    row: int = -1


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
    return OpenedSource(location=path, root=root, splits=[opener() for opener in splits.values()], name=name)


def _open_local(local: Path) -> dict[str, Any]:
    """Split name -> a function that opens that split's rows (called only for the splits kept)."""
    import datasets

    if local.is_dir() and any((local / marker).exists() for marker in SAVED_DATASET_MARKERS):
        saved = datasets.load_from_disk(str(local))
        if isinstance(saved, datasets.Dataset):
            saved = {"train": saved}
        return {name: _dataset_opener(name, part.to_iterable_dataset(), str(local)) for name, part in saved.items()}
    if local.is_file():
        builder = BUILDERS.get(local.suffix.lower())
        if builder is None:
            raise SourceError(f"{local}: unsupported file type {local.suffix!r}; "
                              f"readable types: {', '.join(sorted(BUILDERS))}")
        return {"train": lambda: _files_rows("train", [str(local)])}
    if (local / "README.md").exists() and "configs:" in (local / "README.md").read_text(errors="replace"):
        # A hub-style repo folder whose card declares its configs: let `datasets` follow them.
        parts = datasets.load_dataset(str(local), streaming=True)
        return {name: _dataset_opener(name, part, str(local)) for name, part in parts.items()}
    return {split: (lambda split=split, files=files: _files_rows(split, files))
            for split, files in _data_files(local).items()}


def _data_files(folder: Path) -> dict[str, list[str]]:
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
    return {split: files for split, files in tabular.items() if files}


def _open_hub(dataset_id: str) -> dict[str, Any]:
    import datasets

    try:
        parts = datasets.load_dataset(dataset_id, streaming=True)
    except Exception as exc:  # offline, unknown id, gated: all end the run with the same advice
        raise SourceError(f"{dataset_id}: not a local path, and loading it from the hub failed "
                          f"({type(exc).__name__}: {exc}); download it first or pass a local folder") from exc
    return {name: _dataset_opener(name, part, dataset_id) for name, part in parts.items()}


def _dataset_opener(split: str, dataset: Any, location: str) -> Any:
    def opener() -> SplitRows:
        columns, rows = _dataset_rows(dataset)
        return SplitRows(split=split, columns=columns, rows=_guarded(rows, location))
    return opener


def _dataset_rows(dataset: Any) -> tuple[list[str], Iterator[dict[str, Any]]]:
    if dataset.features:  # schemaless json has nothing to decode (and `decode` refuses it)
        dataset = dataset.decode(False)  # original image bytes, no PIL round trip
    return list(dataset.column_names or []), iter(dataset)


def _files_rows(split: str, files: list[str]) -> SplitRows:
    """The rows of ``files`` one file after another (each opened when its turn comes); the columns are the
    union of the files' columns; ``position`` follows the file and row being read, for messages."""
    columns = list(dict.fromkeys(column for file in files for column in _file_columns(file)))
    position = RowPosition()

    def rows() -> Iterator[Any]:
        for file in files:
            for index, row in enumerate(_file_rows(file)[1]):
                position.file, position.row = file, index
                yield row

    schemaless = all(BUILDERS[Path(f).suffix.lower()] == "json" for f in files)
    return SplitRows(split=split, columns=columns, rows=rows(), schemaless=schemaless, position=position)


def _file_columns(file: str) -> list[str]:
    """Column names of one data file, read cheaply (a parquet footer, the head of a JSON file); [] if unreadable."""
    if Path(file).suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(file).names)
        except Exception:  # noqa: BLE001 - a corrupt file is named when its rows are read
            return []
    return _file_rows(file)[0]


def _file_rows(file: str) -> tuple[list[str], Iterator[dict[str, Any] | UnreadableRows]]:
    """Columns and rows of one data file; a file that cannot be opened yields one UnreadableRows."""
    if BUILDERS[Path(file).suffix.lower()] == "json":
        rows: Iterator[Any] = _json_rows(Path(file))
        columns: list[str] = []
    else:
        import datasets

        try:
            columns, rows = _dataset_rows(datasets.load_dataset(
                BUILDERS[Path(file).suffix.lower()], data_files={"train": [file]}, split="train", streaming=True))
        except Exception as exc:  # a corrupt or empty file: named, the other files are still read
            return [], iter([_unreadable_file(file, exc, 0)])
    if not columns:  # schemaless: the union of the first rows' keys
        head = list(islice(rows, 20))
        columns = list(dict.fromkeys(key for row in head if isinstance(row, dict) for key in row))
        rows = chain(head, rows)
    return columns, _guarded(rows, file)


def _unreadable_file(file: str, exc: Exception, rows_read: int) -> UnreadableRows:
    after = f" after {rows_read} row(s); those were kept" if rows_read else ""
    return UnreadableRows("unreadable_file", f"{file}: cannot be read{after} ({type(exc).__name__}: "
                          f"{str(exc)[:300]}); rewrite or remove the file", file)


def _guarded(rows: Iterator[Any], location: str) -> Iterator[Any]:
    """``rows``, ending with an UnreadableRows (instead of an exception) where the reader fails."""
    read = 0
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # pyarrow, datasets and json raise many types for one bad file
            yield _unreadable_file(location, exc, read)
            return
        read += 1
        yield row


def _json_rows(file: Path) -> Iterator[dict[str, Any] | UnreadableRows]:
    """Objects of a JSON Lines file (or, for .json, a JSON array or one object), one bad line costing only itself."""
    if file.suffix.lower() == ".json":
        with open(file, "rb") as handle:
            first = handle.read(1024).lstrip()[:1]
        whole = first == b"[" or (first == b"{" and file.stat().st_size <= MAX_JSON_DOCUMENT_BYTES)
        values = _json_document(file) if whole else None
        if values is not None:  # a JSON array of objects (or one object); else the file is read as JSON Lines
            for number, value in enumerate(values, start=1):
                yield value if isinstance(value, dict) else UnreadableRows(
                    "not_json", f"{file} item {number}: a JSON {type(value).__name__}, not an object", str(file))
            return
    with open(file, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            yield _json_line(raw, number, str(file))


def _json_line(raw: bytes, number: int, file: str) -> dict[str, Any] | UnreadableRows:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return UnreadableRows("not_utf8", f"{file} line {number}: not UTF-8 (byte {raw[exc.start]:#04x} at "
                              f"offset {exc.start}); re-save the file as UTF-8", file)
    try:
        value = json.loads(text)
    except RecursionError:
        return UnreadableRows("not_json", f"{file} line {number}: JSON nested too deeply to be a row", file)
    except json.JSONDecodeError as exc:
        return UnreadableRows("not_json", f"{file} line {number}: not JSON ({exc.msg} at column {exc.colno}): "
                              f"{text.strip()[:80]!r}", file)
    if not isinstance(value, dict):
        return UnreadableRows("not_json", f"{file} line {number}: a JSON {type(value).__name__}, "
                              "not an object with named fields", file)
    return value


def _json_document(file: Path) -> list[Any] | None:
    """The file as one JSON document: an array's items, or one object as one row; None if it is not one."""
    try:
        values = json.loads(file.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    return values if isinstance(values, list) else [values] if isinstance(values, dict) else None
