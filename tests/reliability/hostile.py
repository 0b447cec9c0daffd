"""Hostile inputs of issue 14.4, written to disk, and a harness that ingests each through the real pipeline.

`make_hostile_inputs(dir)` writes one folder per kind (truncated, zero-byte and non-image files, a decompression
bomb, a 20000x20000 image, CMYK/16-bit/animated images, non-UTF-8 and control characters, a 1 MB problem, missing,
extra and mistyped columns, NaN/inf answers, empty datasets, a JSONL line that is not JSON, a corrupt data file
beside a good one, image paths escaping the folder). Every folder also holds good rows, so a case says how many
rows must survive (``good``) and how many must be quarantined with a reason (``bad``), or, for an input that is
wrong as a whole, which words the error must contain (``error``).

`ingest_hostile(cases, store_dir)` runs ``ingest -> image`` on each case in a real store and counts what was
kept, what was quarantined and any unhandled exception. The unit tests and benchmarks/reliability_report.py share it.
"""

from __future__ import annotations

import io
import json
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from PIL import Image, ImageDraw


@dataclass
class HostileCase:
    kind: str
    path: Path  # what the ingest stage reads
    good: int = 0  # rows that must be kept
    bad: int = 0  # rows that must be quarantined, each with a reason
    reasons: set[str] = field(default_factory=set)  # quarantine reasons expected among the bad rows
    error: tuple[str, ...] = ()  # the whole input is refused: words the message must contain
    named: str = ""  # a file the quarantine detail (or the error) must name


def png(index: int, size: tuple[int, int] = (40, 32), mode: str = "RGB", fmt: str = "PNG") -> bytes:
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).rectangle([2, 2, 6 + 3 * index, size[1] - 4], fill=(30 * index % 256, 90, 200))
    buffer = io.BytesIO()
    image.convert(mode).save(buffer, format=fmt)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A few hundred bytes whose header claims ``width x height`` pixels (PIL refuses it before decoding)."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    rows = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")


def huge_png(side: int = 20_000) -> bytes:
    """A real ``side x side`` 1-bit image (50 MB in memory while drawn, a few hundred KB as PNG)."""
    image = Image.new("1", (side, side), 0)
    ImageDraw.Draw(image).rectangle([side // 4, side // 4, side // 2, side // 2], fill=1)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def sixteen_bit_png() -> bytes:
    image = Image.new("I;16", (40, 32))
    image.putdata([(x * 1600) % 65536 for x in range(40 * 32)])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def animated_gif() -> bytes:
    frames = [Image.open(io.BytesIO(png(i))).convert("P") for i in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)
    return buffer.getvalue()


def _good_rows(folder: Path, n: int, start: int = 0) -> list[dict[str, Any]]:
    (folder / "img").mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(start, start + n):
        (folder / "img" / f"good{i}.png").write_bytes(png(i))
        rows.append({"problem": f"<image>How many bars are in figure {i}?", "answer": str(i),
                     "images": [f"img/good{i}.png"]})
    return rows


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _image_case(root: Path, kind: str, data: bytes, suffix: str, good: int, reasons: set[str]) -> HostileCase:
    folder = root / kind
    rows = _good_rows(folder, 2)
    (folder / "img" / f"hostile{suffix}").write_bytes(data)
    rows.append({"problem": "<image>What is shown?", "answer": "4", "images": [f"img/hostile{suffix}"]})
    _jsonl(folder / "train.jsonl", rows)
    return HostileCase(kind, folder, good=2 + good, bad=1 - good, reasons=reasons)


def make_hostile_inputs(root: Path, *, huge_side: int = 20_000) -> list[HostileCase]:
    """Write every hostile-input kind under ``root``; returns the cases with what each must give."""
    root = Path(root)
    cases = [
        _image_case(root, "truncated_image", png(7, (120, 90))[:200], ".png", 0, {"bad_image"}),
        _image_case(root, "zero_byte_image", b"", ".png", 0, {"missing_image", "bad_image"}),
        _image_case(root, "non_image_file", b"%PDF-1.4 this is not an image\n", ".png", 0, {"bad_image"}),
        _image_case(root, "decompression_bomb", bomb_png(), ".png", 0, {"bad_image"}),
        _image_case(root, "huge_image_20000", huge_png(huge_side), ".png", 0, {"bad_image"}),
        _image_case(root, "cmyk_image", png(3, mode="CMYK", fmt="JPEG"), ".jpg", 1, set()),
        _image_case(root, "sixteen_bit_image", sixteen_bit_png(), ".png", 1, set()),
        _image_case(root, "animated_image", animated_gif(), ".gif", 1, set()),
    ]

    folder = root / "non_utf8"
    lines = [json.dumps(r).encode() for r in _good_rows(folder, 3)]
    lines.insert(1, b'{"problem": "caf\xe9 \xff\xfe?", "answer": "1"}')
    (folder / "train.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    cases.append(HostileCase("non_utf8", folder, good=3, bad=1, reasons={"not_utf8"}, named="train.jsonl"))

    folder = root / "control_characters"
    rows = _good_rows(folder, 2)
    rows.append({"problem": "How\x00 many\x07 sides\x1b[31m has a square?\u202e", "answer": "4\x00"})
    _jsonl(folder / "train.jsonl", rows)
    cases.append(HostileCase("control_characters", folder, good=3))

    folder = root / "megabyte_problem"
    rows = _good_rows(folder, 2)
    rows.append({"problem": "x " * 500_000 + "?", "answer": "1"})
    _jsonl(folder / "train.jsonl", rows)
    cases.append(HostileCase("megabyte_problem", folder, good=2, bad=1, reasons={"text_too_long"}))

    folder = root / "missing_column_file"
    _jsonl(folder / "train.jsonl", [{"problem": "What?", "note": "no answer column"}] * 3)
    cases.append(HostileCase("missing_column_file", folder, error=("cannot detect the layout", "problem, note"),
                             named="missing_column_file"))

    folder = root / "missing_fields_in_rows"
    rows = _good_rows(folder, 2)
    rows += [{"problem": "Only a problem?"}, {"answer": "3"}]
    _jsonl(folder / "train.jsonl", rows)
    cases.append(HostileCase("missing_fields_in_rows", folder, good=2, bad=2, reasons={"no_answer", "no_problem"}))

    folder = root / "extra_columns"
    rows = [{**row, "difficulty": 3, "blob": "z" * 5000, "nested": {"a": [1, 2]}} for row in _good_rows(folder, 3)]
    _jsonl(folder / "train.jsonl", rows)
    cases.append(HostileCase("extra_columns", folder, good=3))

    folder = root / "mistyped_columns"
    rows = _good_rows(folder, 2)
    rows += [{"problem": 12345, "answer": 7},  # numbers are text
             {"problem": "Which?", "answer": {"value": 3}},  # a mapping is not an answer
             {"problem": ["a", "b"], "answer": "2"},  # a list of two texts is not a problem
             {"problem": "Pick", "answer": "1", "images": 5},  # an image that is a number
             {"problem": "Pick", "answer": "1", "choices": {"a": 1}}]
    _jsonl(folder / "train.jsonl", rows)
    cases.append(HostileCase("mistyped_columns", folder, good=3, bad=4, reasons={"mistyped_field", "bad_image"}))

    folder = root / "mistyped_across_files"
    folder.mkdir(parents=True)
    pl.DataFrame({"problem": ["One?", "Two?"], "answer": [1, 2]}).write_parquet(folder / "train-00000-of-00002.parquet")
    pl.DataFrame({"problem": ["Three?"], "answer": ["three"]}).write_parquet(folder / "train-00001-of-00002.parquet")
    cases.append(HostileCase("mistyped_across_files", folder, good=3))

    folder = root / "nan_inf_answers"
    folder.mkdir(parents=True)
    pl.DataFrame({"problem": ["a?", "b?", "c?", "d?", "e?"],
                  "answer": [1.0, float("nan"), float("inf"), 2.5, float("-inf")]}).write_parquet(folder / "train.parquet")
    cases.append(HostileCase("nan_inf_answers", folder, good=2, bad=3, reasons={"bad_answer"}))

    folder = root / "empty_jsonl"
    folder.mkdir(parents=True)
    (folder / "train.jsonl").write_bytes(b"")
    cases.append(HostileCase("empty_jsonl", folder, error=("no rows",), named="empty_jsonl"))

    folder = root / "empty_parquet"
    folder.mkdir(parents=True)
    pl.DataFrame(schema={"problem": pl.Utf8, "answer": pl.Utf8}).write_parquet(folder / "train.parquet")
    cases.append(HostileCase("empty_parquet", folder, error=("no rows",), named="empty_parquet"))

    folder = root / "jsonl_line_not_json"
    lines = [json.dumps(r) for r in _good_rows(folder, 3)]
    lines.insert(2, '{"problem": "half a line", "answer":')
    lines.insert(3, "plain text, not JSON")
    (folder / "train.jsonl").write_text("\n".join(lines) + "\n")
    cases.append(HostileCase("jsonl_line_not_json", folder, good=3, bad=2, reasons={"not_json"}, named="train.jsonl"))

    folder = root / "corrupt_data_file"
    folder.mkdir(parents=True)
    pl.DataFrame({"problem": ["One?", "Two?"], "answer": ["1", "2"]}).write_parquet(folder / "train-00000-of-00003.parquet")
    good = io.BytesIO()
    pl.DataFrame({"problem": [f"p{i}?" for i in range(50)], "answer": ["1"] * 50}).write_parquet(good)
    (folder / "train-00001-of-00003.parquet").write_bytes(good.getvalue()[: len(good.getvalue()) // 2])
    (folder / "train-00002-of-00003.parquet").write_bytes(b"")
    cases.append(HostileCase("corrupt_data_file", folder, good=2, bad=2, reasons={"unreadable_file"},
                             named="train-00001-of-00003.parquet"))

    cases.append(_escaping_paths(root))
    return cases


def _escaping_paths(root: Path) -> HostileCase:
    """Image paths that leave the dataset folder: ``..``, absolute, and a symlink pointing outside."""
    outside = root / "outside_secret.png"
    outside.write_bytes(png(9))
    folder = root / "escaping_image_paths"
    rows = _good_rows(folder, 2)
    (folder / "img" / "link.png").symlink_to(outside)
    (folder / "img" / "inside_link.png").symlink_to(folder / "img" / "good0.png")  # stays inside: fine
    rows += [{"problem": "<image>Dots?", "answer": "1", "images": ["../outside_secret.png"]},
             {"problem": "<image>Dots?", "answer": "1", "images": [str(outside)]},
             {"problem": "<image>Dots?", "answer": "1", "images": ["img/link.png"]},
             {"problem": "<image>Dots?", "answer": "1", "images": [{"path": "img/../../outside_secret.png"}]},
             {"problem": "<image>Inside link?", "answer": "1", "images": ["img/inside_link.png"]}]
    _jsonl(folder / "train.jsonl", rows)
    return HostileCase("escaping_image_paths", folder, good=3, bad=4, reasons={"image_outside_source"})


def ingest_hostile(cases: list[HostileCase], store_dir: Path) -> dict[str, Any]:
    """Run ``ingest -> image`` on each case in the store at ``store_dir``; count kept, quarantined and failures.

    ``rows_lost``: good rows that did not come out; ``unhandled``: cases that raised something other than the
    clear, expected refusal (or whose refusal lacked the expected words); ``mismatches`` lists what went wrong.
    """
    from curation.pipeline import run_recipe
    from curation.recipe import recipe_from_dict
    from curation.rows import StageFailed
    from curation.store import Store

    store = Store(store_dir)
    totals = {"hostile_kinds": len(cases), "good_rows_expected": 0, "good_rows_kept": 0, "rows_lost": 0,
              "quarantined": 0, "unhandled": 0, "mismatches": []}
    for case in cases:
        recipe = recipe_from_dict({"name": f"hostile-{case.kind}", "output": f"hostile-{case.kind}",
                                   "stages": [{"type": "ingest", "path": str(case.path)},
                                              {"type": "image", "resize": "allow"}]})
        totals["good_rows_expected"] += case.good
        try:
            info = run_recipe(recipe, store).final
        except StageFailed as exc:
            if not case.error or not all(word in str(exc) for word in case.error) or case.named not in str(exc):
                totals["unhandled"] += 1
                totals["mismatches"].append(f"{case.kind}: refused with {exc}")
            continue
        except Exception as exc:  # the harness counts what must never happen
            totals["unhandled"] += 1
            totals["mismatches"].append(f"{case.kind}: unhandled {type(exc).__name__}: {exc}"[:500])
            continue
        if case.error:
            totals["mismatches"].append(f"{case.kind}: expected a refusal mentioning {case.error}, got {info.ref}")
            totals["unhandled"] += 1
            continue
        snapshot = store.open(info.ref)
        kept = snapshot.info.rows
        rejections = snapshot.rejections().collect()
        totals["good_rows_kept"] += min(kept, case.good)
        totals["rows_lost"] += max(case.good - kept, 0)
        totals["quarantined"] += rejections.height
        reasons = set(rejections["reason"].to_list())
        problems = []
        if kept != case.good or rejections.height != case.bad:
            problems.append(f"kept {kept} (want {case.good}), quarantined {rejections.height} (want {case.bad})")
        if rejections.height and (rejections["reason"].is_null().any() or rejections["detail"].is_null().any()):
            problems.append("a quarantined row has no reason or detail")
        if case.reasons and not reasons & case.reasons:
            problems.append(f"reasons {sorted(reasons)}, want one of {sorted(case.reasons)}")
        if case.named and not rejections["detail"].str.contains(case.named, literal=True).any():
            problems.append(f"no quarantine detail names {case.named}")
        if problems:
            totals["mismatches"].append(f"{case.kind}: " + "; ".join(problems))
    return totals
