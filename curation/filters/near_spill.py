"""Near-duplicate candidates of ``dedup`` with flat memory: MinHash signatures and LSH band keys spilled to disk.

The in-memory way (``minhash.signatures`` + ``minhash.similar_pairs`` on every text at once) holds every text,
every signature slot and every band key together. Here the texts stream from a parquet file in chunks of
``NEAR_CHUNK_ROWS``; each chunk's signatures go to disk, its band keys to ``NEAR_PARTITIONS`` parquet
partitions by key hash. Rows sharing a band key share a partition, so each partition is joined with itself
alone; only the candidate pairs (and the signatures of the rows in them) are ever held whole. The pairs and
their MinHash Jaccard estimates are the same as ``similar_pairs`` gives.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl

from curation.filters.minhash import PAIR_SCHEMA, band_keys, estimated_jaccard, signatures

NEAR_CHUNK_ROWS = 10_000  # texts whose signatures are made at once (rows x shingles x permutations in memory)
NEAR_PARTITIONS = 64  # band-key partitions on disk: memory holds one partition's band keys at a time


def spilled_similar_pairs(texts: Path, text_column: str, spill: Path, *, ngram: int, permutations: int,
                          bands: int, threshold: float) -> pl.DataFrame:
    """``similar_pairs(signatures(all texts), None, ...)`` for the rows (``id``, ``text_column``) of the parquet
    file ``texts``, spilling signatures and band keys under ``spill``."""
    if permutations % bands:
        raise ValueError(f"permutations ({permutations}) must be a multiple of bands ({bands})")
    signature_dir, bands_dir = spill / "signatures", spill / "bands"
    signature_dir.mkdir(parents=True, exist_ok=True)
    rows = pl.scan_parquet(texts).select(pl.len()).collect().item()
    for index, start in enumerate(range(0, rows, NEAR_CHUNK_ROWS)):
        chunk = pl.scan_parquet(texts).slice(start, NEAR_CHUNK_ROWS).collect()
        signature = signatures(chunk, text_column, ngram, permutations)
        signature.write_parquet(signature_dir / f"part-{index:05d}.parquet")
        band_keys(signature, permutations, bands).with_columns(
            (pl.col("key") % NEAR_PARTITIONS).alias("_part")).lazy().sink_parquet(
            pl.PartitionBy(bands_dir / f"chunk-{index:05d}", key="_part", include_key=False), mkdir=True)
    partitions: dict[str, list[Path]] = {}
    for file in sorted(bands_dir.rglob("*.parquet")):
        partitions.setdefault(file.parent.name, []).append(file)  # the _part=N folder, across chunks
    found = []
    for files in partitions.values():
        keys = pl.read_parquet(files)
        found.append(keys.join(keys.rename({"id": "id_right"}), on=["band", "key"])
                     .filter(pl.col("id") < pl.col("id_right")).select("id", "id_right"))
    shutil.rmtree(bands_dir, ignore_errors=True)
    pairs = pl.concat(found).unique() if found else pl.DataFrame(schema={"id": pl.Utf8, "id_right": pl.Utf8})
    if pairs.height == 0:
        return pl.DataFrame(schema=PAIR_SCHEMA)
    in_pairs = pl.concat([pairs["id"], pairs["id_right"]]).unique().to_frame("id")
    needed = pl.scan_parquet(sorted(signature_dir.glob("*.parquet"))).join(in_pairs.lazy(), on="id", how="semi")
    return estimated_jaccard(pairs, needed.collect(engine="streaming"), None, threshold)
