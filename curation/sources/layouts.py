"""Read your own data into pool records, in the layouts users actually have.

Layouts (``auto`` picks one from the column names):

- ``hf``: ``problem``, ``answer`` and optional ``source``, ``choices``, ``image``/``images`` columns
  (the layout of the paper's released seed set); images as HF Image dicts, bytes or relative paths.
- ``sharegpt`` (LLaMA-Factory): ``messages`` (or ``conversations``) turns with ``<image>``
  placeholders plus ``images``; the answer comes from the final assistant turn.
- ``easyr1``: ``problem`` with ``<image>`` placeholders, ``answer``, ``images``.
- ``llava``: ``conversations`` ``[{from: human/gpt, value}]`` plus ``image``; the answer is found
  in the last reply by ``answer_pattern`` (group 1), default "The answer is X".

Usage::

    for item in iter_records("data/geo3k", layout="auto", columns={"problem": "question"}):
        if isinstance(item, IngestError):
            ...  # quarantine: item.row_index, item.reason, item.detail
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any

from curation.rows import StageFailed
from curation.schema import IngestError, PoolRecord
from curation.sources.images import RowError, image_bytes
from curation.sources.layout_rows import PARSERS
from curation.sources.readers import SourceError, UnreadableRows, open_source

LAYOUTS = tuple(PARSERS)
# Canonical field -> column names recognised without a mapping, in order of preference.
ALIASES: dict[str, tuple[str, ...]] = {
    "problem": ("problem", "question", "query"),
    "answer": ("answer", "ground_truth", "gt_answer", "label"),
    "source": ("source", "data_source", "dataset"),
    "choices": ("choices", "options"),
    "images": ("images",),
    "image": ("image", "decoded_image", "image_path"),
    "messages": ("messages", "conversations"),
}
REQUIRED = {"hf": ("problem", "answer"), "easyr1": ("problem", "answer", "images"),
            "sharegpt": ("messages",), "llava": ("messages",)}
_KNOWN = ("hf: problem + answer [+ source, choices, image(s)]; sharegpt: messages + images; "
          "easyr1: problem + answer + images; llava: conversations + image")


class LayoutError(StageFailed, ValueError):
    """The layout is unknown, cannot be detected, or lacks a column it needs."""


def resolve_fields(column_names: Iterable[str], columns: dict[str, str] | None = None) -> dict[str, str]:
    """Canonical field -> data column: the mapping ``columns`` first, then the known aliases."""
    found = list(column_names)
    mapping = dict(columns or {})
    for field_name, column in mapping.items():
        if field_name not in ALIASES:
            raise LayoutError(f"column mapping: unknown field {field_name!r}; fields: {', '.join(ALIASES)}")
        if column not in found:
            raise LayoutError(f"column mapping {field_name!r} -> {column!r}: no column {column!r}; "
                              f"columns found: {', '.join(found)}")
    for field_name, aliases in ALIASES.items():
        if field_name not in mapping:
            present = [alias for alias in aliases if alias in found and alias not in mapping.values()]
            if present:
                mapping[field_name] = present[0]
    return mapping


def detect_layout(column_names: Iterable[str], columns: dict[str, str] | None = None, where: str = "") -> str:
    """The layout of a dataset from its column names; raises LayoutError naming what it found (and ``where``)."""
    names = list(column_names)
    fields = resolve_fields(names, columns)
    if "messages" in fields:
        singular_image = "image" in fields and "images" not in fields
        if singular_image or (fields["messages"] == "conversations" and "images" not in fields):
            return "llava"
        return "sharegpt"
    if "problem" in fields and "answer" in fields:
        if "images" in fields and not {"source", "image", "choices"} & fields.keys():
            return "easyr1"
        return "hf"
    raise LayoutError(f"{where + ': ' if where else ''}cannot detect the layout from columns [{', '.join(names)}]; known layouts: {_KNOWN}. "
                      "Pass --layout and map your columns, e.g. columns={'problem': 'your_question_column'}")


def iter_records(path: str, layout: str = "auto", columns: dict[str, str] | None = None,
                 answer_pattern: str | None = None, source: str | None = None,
                 split: str | None = None) -> Iterator[PoolRecord | IngestError]:
    """Records of every row of ``path`` (all splits unless ``split``); unreadable rows come as IngestError.

    ``columns`` maps fields to your column names; ``answer_pattern`` is a regex whose group 1 is the
    answer in reply text (sharegpt/llava; for hf/easyr1 it is applied to the answer column);
    ``source`` labels rows that have no source column (default: the folder or file name).
    """
    if layout != "auto" and layout not in PARSERS:
        raise LayoutError(f"unknown layout {layout!r}; known layouts: auto, {', '.join(LAYOUTS)}")
    if answer_pattern is not None:
        try:
            re.compile(answer_pattern)
        except re.error as exc:
            raise LayoutError(f"answer_pattern {answer_pattern!r} is not a valid regex: {exc}") from exc
    opened = open_source(path, split)
    rows_seen = 0
    for part in opened.splits:
        where = f"{path} [{part.split}]"
        first = next(part.rows, None)
        if first is None:
            continue  # an empty split: nothing to detect a layout from, nothing lost
        rows = chain([first], part.rows)
        if not part.columns:  # every row so far unreadable: nothing to detect a layout from
            for index, row in enumerate(rows):
                rows_seen += 1
                yield _ingest_error(index, row, where)
            continue
        fields = resolve_fields(part.columns, columns)
        chosen = detect_layout(part.columns, columns, where) if layout == "auto" else layout
        missing = [f for f in REQUIRED[chosen] if f not in fields]
        if missing:
            raise LayoutError(f"{where}: layout {chosen!r} needs field(s) {', '.join(missing)}; columns found: "
                              f"{', '.join(part.columns)}; map them, e.g. columns={{'{missing[0]}': 'your_column'}}")
        used = set(fields.values())
        for index, row in enumerate(rows):
            rows_seen += 1
            if not isinstance(row, dict):
                yield _ingest_error(index, row, where)
                continue
            row_layout, row_fields = chosen, fields
            if part.schemaless and layout == "auto":  # JSON rows each have their own keys: a stray one
                row_layout, row_fields = _row_layout(row, columns) or (chosen, fields)  # must not flip the rest
            try:
                parsed = PARSERS[row_layout]({f: row.get(c) for f, c in row_fields.items()}, answer_pattern)
                images = [image_bytes(value, opened.root) for value in parsed.images]
            except RowError as exc:
                yield IngestError(index, exc.reason, exc.detail, location=part.where(where))
                continue
            except (ValueError, TypeError, KeyError, AttributeError) as exc:  # e.g. a messages cell that is not JSON
                yield IngestError(index, "unreadable_row", f"{type(exc).__name__}: {exc}", location=part.where(where))
                continue
            metadata: dict[str, Any] = {
                "ingest": {"path": path, "split": part.split, "row_index": index, "layout": row_layout},
                **parsed.extra,
            }
            kept = {k: v for k, v in row.items() if k not in used and k not in row_fields.values() and _small_scalar(v)}
            if kept:
                metadata["columns"] = kept
            yield PoolRecord(source=parsed.source or source or opened.name, problem=parsed.problem,
                             answer=parsed.answer, choices=parsed.choices, images=images, metadata=metadata)
    if not rows_seen:
        raise SourceError(f"{path}: no rows (every data file{' of split ' + repr(split) if split else ''} is empty); "
                          "check that this is the folder or file you meant to ingest")


def _row_layout(row: dict[str, Any], columns: dict[str, str] | None) -> tuple[str, dict[str, str]] | None:
    """The layout and fields of one schemaless row from the keys it fills; None when its keys fit no layout."""
    present = [key for key, value in row.items() if value is not None]
    try:
        fields = resolve_fields(present, {f: c for f, c in (columns or {}).items() if c in present})
        chosen = detect_layout(present, {f: c for f, c in (columns or {}).items() if c in present})
    except LayoutError:
        return None
    return (chosen, fields) if all(f in fields for f in REQUIRED[chosen]) else None


def _ingest_error(index: int, row: Any, where: str) -> IngestError:
    if isinstance(row, UnreadableRows):
        return IngestError(index, row.reason, row.detail, location=row.location)
    return IngestError(index, "unreadable_row", f"a {type(row).__name__}, not a row with named fields", location=where)


def _small_scalar(value: Any) -> bool:
    """Extra columns worth keeping in metadata (ids, difficulty, ...), not blobs or nested data."""
    return value is None or isinstance(value, bool | int | float) or (isinstance(value, str) and len(value) <= 1000)
