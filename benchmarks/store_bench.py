"""Store benchmark: a pool with images, a filter-only child version, write/read throughput.

Prints JSON. Baseline in the same run: the usual way of versioning with `datasets`
(`save_to_disk` each version, image bytes embedded), whose child is a full copy.
Writes are compared doing the same work, twice:

- with images: thinkset puts every image into its content-addressed store and writes the row
  table; `datasets` builds the table with the image bytes embedded and saves it;
- rows only: both write the same row columns (images referenced by sha256 in `image_ids`).

Reads load the same row columns into a data frame. Targets: child_growth_fraction <= 0.02
(a filter-only child never copies images).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("THINKSET_QUIET", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import polars as pl  # noqa: E402
import yaml  # noqa: E402
from PIL import Image  # noqa: E402

from curation.pipeline import run_recipe  # noqa: E402
from curation.recipe import load_recipe  # noqa: E402
from curation.schema import row_id  # noqa: E402
from curation.store import Store  # noqa: E402


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def noisy_png(rng: random.Random, side: int) -> bytes:
    """A PNG of about the size of a small chart (noise does not compress, so sizes are honest)."""
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def pool_rows(rows: int, images: list[str]) -> pl.DataFrame:
    words = [f"Look at the chart. Is bar {i % 7} taller than bar {(i + 3) % 7}? " + "detail " * (i % 40)
             for i in range(rows)]
    return pl.DataFrame({
        "id": [row_id("bench", i) for i in range(rows)], "source": [f"synth_{i % 4}" for i in range(rows)],
        "problem": words, "answer": ["yes" if i % 2 else "no" for i in range(rows)],
        "choices": [[] for _ in range(rows)], "image_ids": [[images[i]] for i in range(rows)],
        "metadata": ["{}"] * rows,
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--image-side", type=int, default=64, help="pixels per side of each noise PNG (64: ~12 KB)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="thinkset-bench-"))
    try:
        store = Store(work / "store")
        rng = random.Random(0)
        pngs = [noisy_png(rng, args.image_side) for _ in range(args.rows)]
        started = time.perf_counter()
        images = [store.images.put(data) for data in pngs]
        store.images.flush()
        image_put_s = time.perf_counter() - started
        frame = pool_rows(args.rows, images)

        started = time.perf_counter()
        with store.writer("pool-bench", "pool", config={"rows": args.rows}) as writer:
            for offset in range(0, frame.height, 50_000):
                writer.write(frame.slice(offset, 50_000))
        write_s = time.perf_counter() - started
        parent = writer.committed

        started = time.perf_counter()
        read = store.open("pool-bench").read()
        read_s = time.perf_counter() - started
        assert read.height == args.rows

        parent_bytes = dir_bytes(parent.path) + store.images.disk_bytes()
        before = dir_bytes(store.root)
        recipe = work / "filter.yaml"
        recipe.write_text(yaml.safe_dump({"name": "bench", "input": "pool-bench", "output": "pool-bench-short",
                                          "stages": [{"type": "length", "column": "problem", "max_words": 30}]}))
        started = time.perf_counter()
        child = run_recipe(load_recipe(recipe), store).final
        filter_s = time.perf_counter() - started
        child_growth = dir_bytes(store.root) - before

        # Baseline: `datasets`, each version saved in full.
        import datasets

        datasets.disable_progress_bars()
        rows_only = frame.to_dict(as_series=False)
        started = time.perf_counter()
        datasets.Dataset.from_dict(rows_only).save_to_disk(str(work / "ds-rows"))
        baseline_rows_write_s = time.perf_counter() - started
        started = time.perf_counter()
        ds = datasets.Dataset.from_dict({**rows_only, "image": [{"bytes": b, "path": None} for b in pngs]},
                                        features=None).cast_column("image", datasets.Image())
        ds.save_to_disk(str(work / "ds-parent"))
        baseline_write_s = time.perf_counter() - started
        started = time.perf_counter()
        loaded = pl.from_arrow(datasets.load_from_disk(str(work / "ds-rows")).data.table)
        baseline_read_s = time.perf_counter() - started
        assert loaded.height == args.rows
        parent_ds = datasets.load_from_disk(str(work / "ds-parent"))
        child_ds = parent_ds.filter(lambda p: len(p.split()) <= 30, input_columns="problem")
        child_ds.save_to_disk(str(work / "ds-child"))
        baseline_growth = dir_bytes(work / "ds-child") / dir_bytes(work / "ds-parent")

        with_images_s = image_put_s + write_s
        print(json.dumps({
            "rows": args.rows,
            "child_rows": child.rows,
            "child_growth_fraction": round(child_growth / parent_bytes, 5),
            "child_growth_bytes": child_growth,
            "parent_bytes": parent_bytes,
            "mean_image_bytes": round(sum(map(len, pngs)) / len(pngs)),
            "write_with_images_rows_per_s": round(args.rows / with_images_s),
            "baseline_datasets_write_with_images_rows_per_s": round(args.rows / baseline_write_s),
            "write_rows_only_rows_per_s": round(args.rows / write_s),
            "baseline_datasets_write_rows_only_rows_per_s": round(args.rows / baseline_rows_write_s),
            "read_rows_per_s": round(args.rows / read_s),
            "baseline_datasets_read_rows_per_s": round(args.rows / baseline_read_s),
            "image_put_per_s": round(args.rows / image_put_s),
            "filter_version_s": round(filter_s, 3),
            "baseline_datasets_child_growth_fraction": round(baseline_growth, 5),
            "target_child_growth_fraction": 0.02,
            "measures": {
                "write_with_images": "thinkset: put each PNG into the image store (sha256, fsync) + write the row "
                                     "table; datasets: build the table with the bytes embedded + save_to_disk",
                "write_rows_only": "the same row columns (images as sha256 references) written by each",
                "read": "the same row columns loaded into a Polars frame (datasets: memory-mapped arrow)",
                "child_growth_fraction": "bytes a filter-only child version adds, over the parent's bytes",
            },
        }, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
