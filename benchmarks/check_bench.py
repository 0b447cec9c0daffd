"""`thinkset check` on a 100k-row sft snapshot: seconds and peak RSS, printed as JSON.

Rows reference 5,000 distinct real PNGs (as sft rows of one pool do); the image
probe decodes each once. Compared in the same run against a polars-only baseline
that computes the same row-level facts without Great Expectations.
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
        "response": [f"<think>{body} {i}</think> so <answer>{i % 97}</answer>" for i in range(rows)],
    })
    with store.writer("sft-bench", "sft", config={"rows": rows, "images": images}) as writer:
        for start in range(0, rows, 50_000):
            writer.write(frame.slice(start, 50_000))
    return root


def measure(root: str, mode: str) -> dict:
    """Run in a fresh process so peak RSS belongs to the check alone."""
    code = f"""
import json, resource, time
started = time.perf_counter()
from curation.store import Store
store = Store({root!r}); snap = store.open("sft-bench")
if {mode!r} == "baseline":
    import polars as pl
    from curation.filters.words import regex_word_count
    frame = snap.scan().select(pl.col("id").is_duplicated().sum().alias("dup"),
        (pl.col("answer").str.strip_chars() == "").sum().alias("empty"),
        regex_word_count(pl.col("response")).max().alias("words"),
        pl.col("response").str.contains("<think>").sum().alias("think")).collect()
    ok = True
else:
    from curation.checks.runner import check_snapshot, record
    result = record(store, check_snapshot(store, snap))
    ok = result.success
print(json.dumps({{"seconds": round(time.perf_counter() - started, 2), "ok": ok,
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}}))
"""
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
        baseline = measure(root, "baseline")
        check = measure(root, "check")
    print(json.dumps({"rows": args.rows, "distinct_images": args.images, "build_seconds": built,
                      "polars_only_baseline": baseline, "thinkset_check": check,
                      "rss_note": "peak RSS of a fresh process, imports included (GX import alone ~2.5 s)",
                      "self_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)},
                     indent=2))


if __name__ == "__main__":
    main()
