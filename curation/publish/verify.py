"""Load a written Hub folder back with ``datasets.load_dataset`` before anything is uploaded.

What a user will get must be what the snapshot holds: the same row count, the
profile's columns with their features, and images whose bytes hash to the
snapshot row's ``image_ids`` (so they are the stored images, in order) and that
decode. Rows are written in snapshot order, so row i of the folder is row i of
the snapshot even when ``id`` and ``image_ids`` are left out.
"""

from __future__ import annotations

import hashlib
import tempfile

import polars as pl
from datasets import Image, List, load_dataset

from curation.publish.columns import IMAGES
from curation.publish.layout import SPLIT, Layout
from curation.store import Snapshot


class LayoutError(RuntimeError):
    """The folder does not load back as the snapshot; nothing was uploaded."""


def verify_layout(layout: Layout, snapshot: Snapshot, decode_sample: int = 200) -> int:
    """Raise LayoutError naming the first difference; return the number of rows verified."""
    where = f"{layout.root} (from {snapshot.info.ref})"
    with tempfile.TemporaryDirectory(prefix="thinkset-verify-") as cache:
        try:
            loaded = load_dataset(str(layout.root), split=SPLIT, cache_dir=cache)
        except Exception as exc:  # noqa: BLE001 - any loader error means the layout is unusable
            raise LayoutError(f"{where}: datasets.load_dataset failed: {exc}") from exc
        if loaded.num_rows != snapshot.info.rows:
            raise LayoutError(f"{where}: {loaded.num_rows} rows load back, the snapshot has {snapshot.info.rows}")
        if loaded.features != layout.features:
            raise LayoutError(f"{where}: features differ: loaded {loaded.features}, written {layout.features}")
        if not layout.profile.images:
            return loaded.num_rows
        schema = snapshot.scan().collect_schema()
        expected = snapshot.scan().select(
            pl.col("id") if "id" in schema else pl.int_range(pl.len()).cast(pl.Utf8).alias("id"),
            pl.col("image_ids") if "image_ids" in schema else pl.lit([], dtype=pl.List(pl.Utf8)).alias("image_ids"),
        ).collect(engine="streaming")
        row_ids, image_lists = expected["id"].to_list(), expected["image_ids"].to_list()
        raw = loaded.select_columns([IMAGES]).cast_column(IMAGES, List(Image(decode=False)))
        index = 0
        for batch in raw.iter(batch_size=1000):  # one batch of image bytes in memory at a time
            for images in batch[IMAGES]:
                hashes = [hashlib.sha256(image["bytes"] or b"").hexdigest() for image in images]
                if hashes != (image_lists[index] or []):
                    raise LayoutError(f"{where}: row {index} (id {row_ids[index]}): embedded images differ "
                                      "from image_ids")
                index += 1
        for index in range(min(decode_sample, loaded.num_rows)):
            try:
                for image in loaded[index][IMAGES]:
                    image.load()
            except Exception as exc:  # noqa: BLE001
                raise LayoutError(f"{where}: row {index}: an image does not decode: {exc}") from exc
        return loaded.num_rows
