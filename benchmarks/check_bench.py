"""`thinkset check` on a 100k-row sft snapshot: seconds and peak RSS, printed as JSON.

Rows reference 5,000 distinct real PNGs (as sft rows of one pool do); the image
probe decodes each once. Compared in the same run, each in a fresh process, against:

- ``same_facts_baseline``: Polars + PIL computing every fact the sft suite checks (columns and
  types, row count, unique ids, non-empty problem/answer/response, the response format regex,
  word-count bounds, every distinct image fully decoded on as many threads as the probe, unique
  (problem, images) pairs), without Great Expectations; its ``ok`` is computed, never assumed;
- ``bare_scan``: reading the same columns and nothing else (the floor).

``seconds`` is the work after imports; ``import_seconds`` is printed apart (GX's import is ~2.5 s).
Usage: .venv/bin/python benchmarks/check_bench.py [--rows 100000] [--images 5000]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def build(root: str, rows: int, images: int) -> str:
    import polars as pl
    from PIL import Image, ImageDraw

    from curation.schema import row_id
    from curation.store import Store

    store = Store(root)
    shas = []
    for i in range(images):
        image = Image.new("RGB", (64, 64), (i % 256, (i * 7) % 256, (i * 13) % 256))
        ImageDraw.Draw(image).text((4, 4), str(i), fill=(255, 255, 255))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        shas.append(store.images.put(buffer.getvalue()))
    body = " ".join(["step"] * 150)
    frame = pl.DataFrame({
        "id": [row_id("sft", i) for i in range(rows)],
        "problem_id": [row_id("p", i) for i in range(rows)],
        "source": [("synth_chart", "synth_geometry", "synth_table")[i % 3] for i in range(rows)],
        "problem": [f"Problem {i}: what is the value?" for i in range(rows)],
        "answer": [str(i % 97) for i in range(rows)],
        "choices": [[] for _ in range(rows)],
        "image_ids": [[shas[i % images]] for i in range(rows)],
        "response": [f"<think>{body} {i}</think>\n<answer>{i % 97}</answer>" for i in range(rows)],
    })
    with store.writer("sft-bench", "sft", config={"rows": rows, "images": images}) as writer:
        for start in range(0, rows, 50_000):
            writer.write(frame.slice(start, 50_000))
    return root


BASELINE = """
import io, re
from concurrent.futures import ThreadPoolExecutor
import polars as pl
from PIL import Image
from curation.checks.config import resolve_config
from curation.filters.words import regex_word_count as word_count
from curation.schema import SCHEMAS, compatible
imported = time.perf_counter()
config = resolve_config("sft", {})
lazy = snap.scan(); schema = lazy.collect_schema()
text = lambda c: pl.col(c).fill_null("").str.contains(r"\\S").not_().sum().alias(c + "_empty")
try:
    pl.select(pl.lit("").str.contains(config.response_pattern))
    fmt = pl.col("response").fill_null("").str.contains(config.response_pattern)
except Exception:  # a pattern Rust's regex cannot compile: Python's re, per row
    pattern = re.compile(config.response_pattern)
    fmt = pl.col("response").fill_null("").map_elements(lambda r: bool(pattern.search(r)), return_dtype=pl.Boolean)
words = word_count(pl.col("response"))
key = pl.col("image_ids").list.join(",").fill_null("")
facts = lazy.select(
    pl.len().alias("rows"), pl.col("id").is_duplicated().sum().alias("dup_ids"),
    text("problem"), text("answer"), text("response"), fmt.not_().sum().alias("bad_format"),
    ((words < config.min_words) | (words > config.max_words)).sum().alias("bad_words"),
    pl.struct(pl.col("problem"), key).is_duplicated().sum().alias("dup_pairs"),
).collect(engine="streaming").row(0, named=True)
distinct = lazy.select(pl.col("image_ids").explode().drop_nulls().unique()).collect(engine="streaming")
def decodes(sha):
    path = store.images.path(sha)
    try:
        with Image.open(io.BytesIO(path.read_bytes())) as image:
            image.load()
        return True
    except Exception:
        return False
with ThreadPoolExecutor(min(8, (os.cpu_count() or 2) * 2)) as pool:
    bad_images = sum(not ok for ok in pool.map(decodes, distinct["image_ids"].to_list()))
required = SCHEMAS["sft"]
columns_ok = all(c in schema and compatible(schema[c], t) for c, t in required.items())
failed = [k for k, v in facts.items() if k != "rows" and v] + (["images"] if bad_images else [])
failed += [] if columns_ok else ["columns"]
failed += [] if facts["rows"] >= config.min_rows else ["min_rows"]
ok = not failed
extra = {"failed": failed, "distinct_images_decoded": distinct.height}
"""

SCAN = """
import polars as pl
imported = time.perf_counter()
pl.scan_parquet([str(f) for f in snap.files]).select(
    "id", "problem", "answer", "response", "image_ids").collect(engine="streaming")
ok, extra = None, {}
"""

CHECK = """
from curation.checks.runner import check_snapshot, record
imported = time.perf_counter()
result = record(store, check_snapshot(store, snap))
ok, extra = result.success, {"failed": [o.name for o in result.failed], "checks": len(result.outcomes)}
"""


def measure(root: str, mode: str) -> dict:
    """Run in a fresh process so peak RSS belongs to the measured work alone."""
    body = {"baseline": BASELINE, "scan": SCAN, "check": CHECK}[mode]
    code = (f"import json, os, resource, time\nstarted = time.perf_counter()\nfrom curation.store import Store\n"
            f"store = Store({root!r}); snap = store.open('sft-bench')\n{body}\n"
            "print(json.dumps({'seconds': round(time.perf_counter() - imported, 3), "
            "'import_seconds': round(imported - started, 2), 'ok': ok, **extra, "
            "'peak_rss_mb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{mode} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--images", type=int, default=5_000)
    parser.add_argument("--build-into", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_into:
        build(args.build_into, args.rows, args.images)
        return
    with tempfile.TemporaryDirectory() as root:
        started = time.perf_counter()
        # Linux keeps a parent's peak RSS across fork+exec: build in a child so this process stays small.
        subprocess.run([sys.executable, __file__, "--rows", str(args.rows), "--images", str(args.images),
                        "--build-into", root], check=True)
        built = round(time.perf_counter() - started, 1)
        scan = measure(root, "scan")
        baseline = measure(root, "baseline")
        check = measure(root, "check")
    if baseline["ok"] != check["ok"]:
        raise SystemExit(f"the baseline and the suite disagree: {baseline} vs {check}")
    print(json.dumps({"rows": args.rows, "distinct_images": args.images, "build_seconds": built,
                      "thinkset_check": check, "same_facts_baseline": baseline, "bare_scan": scan,
                      "check_over_same_facts": round(check["seconds"] / max(baseline["seconds"], 1e-3), 2),
                      "check_over_bare_scan": round(check["seconds"] / max(scan["seconds"], 1e-3), 2),
                      "rss_note": "peak RSS of a fresh process, imports included",
                      "self_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)},
                     indent=2))


if __name__ == "__main__":
    main()
