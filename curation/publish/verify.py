"""Load a written Hub folder back with ``datasets.load_dataset`` before anything is uploaded.

What a user will get must be what the snapshot holds: the same row count, every
snapshot column with its features, and images whose bytes hash to the row's
``image_ids`` (so they are the stored images, in order) and that decode.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from datasets import Image, List, load_dataset

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
        raw = loaded.cast_column("images", List(Image(decode=False)))
        index = 0
        for batch in raw.iter(batch_size=1000):  # one batch of image bytes in memory at a time
            for row_id, image_ids, images in zip(batch["id"], batch["image_ids"], batch["images"], strict=True):
                hashes = [hashlib.sha256(image["bytes"] or b"").hexdigest() for image in images]
                if hashes != list(image_ids or []):
                    raise LayoutError(f"{where}: row {index} (id {row_id}): embedded images differ from image_ids")
                index += 1
        for index in range(min(decode_sample, loaded.num_rows)):
            try:
                for image in loaded[index]["images"]:
                    image.load()
            except Exception as exc:  # noqa: BLE001
                raise LayoutError(f"{where}: row {index}: an image does not decode: {exc}") from exc
        return loaded.num_rows


def layout_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
