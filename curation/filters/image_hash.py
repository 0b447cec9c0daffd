"""Perceptual image hashes (dHash, via ``imagehash``) and near-identical pairs by Hamming distance.

A resized or re-encoded copy of an image has a different sha256 but (nearly) the same dHash.
Pairs are found without comparing every image with every other: a 64-bit hash is cut in 8 bytes,
and two hashes within Hamming distance 7 share at least one byte exactly (pigeonhole), so a join on
(byte position, byte value) yields every candidate; the exact distance is then computed per candidate.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import imagehash
import polars as pl
from PIL import Image

from curation.store.images import ImageStore

HASH_BITS = 64
BANDS = 8  # bytes of the hash; any distance below BANDS leaves one byte equal
MAX_DISTANCE = BANDS - 1
# A nearly flat image (blank, one solid colour) hashes to (almost) all zeros or ones: such hashes
# collide between unrelated images, so they are not used for near matches (sha256 still applies).
MIN_EDGE_BITS = 8
PAIR_SCHEMA = {"sha": pl.Utf8, "sha_right": pl.Utf8, "distance": pl.Int64}


def dhash(data: bytes) -> int | None:
    """The 64-bit difference hash of an image's bytes; None when it cannot be decoded."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return int(str(imagehash.dhash(image, hash_size=8)), 16)
    except Exception:  # noqa: BLE001 - any decoder error: the image gets no perceptual hash
        return None


def perceptual_hashes(images: ImageStore, shas: Iterable[str], threads: int | None = None) -> pl.DataFrame:
    """Columns ``sha, phash`` (UInt64) for the distinct images given; informative hashes only."""
    todo = [s for s in dict.fromkeys(shas) if s]
    # PIL releases the GIL while decoding, so threads overlap the work
    with ThreadPoolExecutor(threads or min(8, (os.cpu_count() or 2) * 2)) as pool:
        hashes = list(pool.map(lambda sha: dhash(images.path(sha).read_bytes()) if images.exists(sha) else None,
                               todo))
    frame = pl.DataFrame({"sha": todo, "phash": hashes}, schema={"sha": pl.Utf8, "phash": pl.UInt64})
    ones = pl.col("phash").bitwise_count_ones()
    return frame.drop_nulls("phash").filter((ones >= MIN_EDGE_BITS) & (ones <= HASH_BITS - MIN_EDGE_BITS))


def _bands(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per (image, byte position): the byte of its hash at that position."""
    byte_at = [(pl.col("phash") // (1 << (8 * band)) % 256).alias(str(band)) for band in range(BANDS)]
    return frame.select("sha", "phash", *byte_at).unpivot(index=["sha", "phash"], variable_name="band",
                                                           value_name="byte")


def near_image_pairs(left: pl.DataFrame, right: pl.DataFrame, max_distance: int) -> pl.DataFrame:
    """Pairs ``sha`` (left) / ``sha_right`` (right) whose dHashes differ in at most ``max_distance`` bits."""
    if not 0 <= max_distance <= MAX_DISTANCE:
        raise ValueError(f"max_distance must be between 0 and {MAX_DISTANCE} bits, got {max_distance}")
    if left.height == 0 or right.height == 0:
        return pl.DataFrame(schema=PAIR_SCHEMA)
    candidates = _bands(left).join(_bands(right).rename({"sha": "sha_right", "phash": "phash_right"}),
                                   on=["band", "byte"]).select("sha", "sha_right", "phash", "phash_right").unique(
        ["sha", "sha_right"])
    distance = (pl.col("phash") ^ pl.col("phash_right")).bitwise_count_ones().cast(pl.Int64)
    return candidates.select("sha", "sha_right", distance.alias("distance")).filter(
        pl.col("distance") <= max_distance).sort("sha", "distance", "sha_right")
