"""MinHash over word n-grams with LSH banding: near-duplicate text pairs, within one set or across two.

``dedup`` finds near duplicates inside a snapshot; ``decontaminate`` finds training problems near an
eval problem. Both read pairs ``(id, id_right, jaccard)`` from ``similar_pairs``; the Jaccard value is
the MinHash estimate (share of equal signature slots).
"""

from __future__ import annotations

import polars as pl

SIGNATURE_SCHEMA = {"id": pl.Utf8, "perm": pl.Int64, "m": pl.UInt64}
PAIR_SCHEMA = {"id": pl.Utf8, "id_right": pl.Utf8, "jaccard": pl.Float64}


def shingle_hashes(frame: pl.DataFrame, text_column: str, ngram: int) -> pl.DataFrame:
    """Columns ``id, h``: the distinct hashed lower-cased word n-grams of each row's text.

    A text shorter than ``ngram`` words is one shingle of its words; a text without words has none.
    """
    words = frame.select(pl.col("id").cast(pl.Utf8),
                         pl.col(text_column).str.to_lowercase().str.extract_all(r"\w+").alias("w"))
    words = words.explode("w").drop_nulls("w")
    grams = words.with_columns(
        pl.concat_str([pl.col("w").shift(-k).over("id") for k in range(ngram)], separator=" ").alias("g"),
        pl.col("w").str.join(" ").over("id").alias("all_words"),
        pl.len().over("id").alias("n_words"),
    ).with_columns(pl.when(pl.col("n_words") < ngram).then(pl.col("all_words")).otherwise(pl.col("g")).alias("g"))
    return grams.drop_nulls("g").select("id", pl.col("g").hash(seed=17).alias("h")).unique()


def signatures(frame: pl.DataFrame, text_column: str, ngram: int, permutations: int) -> pl.DataFrame:
    """Columns ``id, perm, m``: the MinHash signature of each row's word n-grams (see ``shingle_hashes``)."""
    return signatures_of(shingle_hashes(frame, text_column, ngram), permutations)


def signatures_of(shingles: pl.DataFrame, permutations: int) -> pl.DataFrame:
    """The MinHash signatures (``id, perm, m``) of ``shingle_hashes`` output."""
    seeds = pl.DataFrame({"perm": list(range(permutations))}, schema={"perm": pl.Int64}).with_columns(
        pl.col("perm").hash(seed=1).alias("a"))
    # one hash function per permutation: hash(h xor a_perm); the signature is its minimum
    return shingles.join(seeds, how="cross").select(
        "id", "perm", (pl.col("h") ^ pl.col("a")).hash(seed=3).alias("m")).group_by("id", "perm").agg(
        pl.col("m").min()).cast(SIGNATURE_SCHEMA)  # type: ignore[arg-type]


def exact_jaccard(pairs: pl.DataFrame, left: pl.DataFrame, right: pl.DataFrame) -> pl.Series:
    """The true Jaccard similarity of each pair (``id``, ``id_right``) from the two sides' ``shingle_hashes``."""
    sizes_left = left.group_by("id").len("n_left")
    sizes_right = right.group_by("id").len("n_right").rename({"id": "id_right"})
    common = pairs.select("id", "id_right").join(left, on="id").join(
        right.rename({"id": "id_right"}), on=["id_right", "h"]).group_by("id", "id_right").len("n_common")
    scored = pairs.select("id", "id_right").join(common, on=["id", "id_right"], how="left", maintain_order="left") \
        .join(sizes_left, on="id", how="left", maintain_order="left") \
        .join(sizes_right, on="id_right", how="left", maintain_order="left")
    n_common = pl.col("n_common").fill_null(0)
    return scored.select((n_common / (pl.col("n_left") + pl.col("n_right") - n_common)).alias("jaccard"))["jaccard"]


def band_keys(signature: pl.DataFrame, permutations: int, bands: int) -> pl.DataFrame:
    """Columns ``id, band, key``: a hash of each band's ``permutations // bands`` signature slots."""
    rows = permutations // bands
    banded = signature.with_columns((pl.col("perm") // rows).alias("band")).group_by("id", "band").agg(
        pl.col("m").sort_by("perm").alias("ms"))
    return banded.select("id", "band", pl.col("ms").list.eval(pl.element().cast(pl.Utf8)).list.join("-").hash()
                         .alias("key"))


def similar_pairs(left: pl.DataFrame, right: pl.DataFrame | None, *, permutations: int, bands: int,
                  threshold: float) -> pl.DataFrame:
    """Pairs ``id`` (left) / ``id_right`` (right) whose estimated Jaccard similarity is at least ``threshold``.

    ``left`` and ``right`` are signatures from ``signatures``; ``right=None`` compares ``left`` with
    itself and reports each pair once (``id < id_right``). Candidates share at least one LSH band.
    """
    if permutations % bands:
        raise ValueError(f"permutations ({permutations}) must be a multiple of bands ({bands})")
    same_set = right is None
    right = left if right is None else right
    left_bands = band_keys(left, permutations, bands)
    right_bands = left_bands if same_set else band_keys(right, permutations, bands)
    pairs = left_bands.join(right_bands.rename({"id": "id_right"}), on=["band", "key"])
    if same_set:
        pairs = pairs.filter(pl.col("id") < pl.col("id_right"))
    pairs = pairs.select("id", "id_right").unique()
    if pairs.height == 0:
        return pl.DataFrame(schema=PAIR_SCHEMA)
    return estimated_jaccard(pairs, left, None if same_set else right, threshold)


def estimated_jaccard(pairs: pl.DataFrame, left: pl.DataFrame, right: pl.DataFrame | None,
                      threshold: float) -> pl.DataFrame:
    """The candidate ``pairs`` (``id``, ``id_right``) whose MinHash estimate (share of equal signature slots of
    ``left`` and ``right``; None: ``left`` for both) is at least ``threshold``, as ``PAIR_SCHEMA``, sorted."""
    right_sig = (left if right is None else right).rename({"id": "id_right", "m": "m_right"})
    return (pairs.join(left, on="id").join(right_sig, on=["id_right", "perm"])
            .group_by("id", "id_right").agg((pl.col("m") == pl.col("m_right")).mean().alias("jaccard"))
            .filter(pl.col("jaccard") >= threshold).sort("id", "id_right").cast(PAIR_SCHEMA))  # type: ignore[arg-type]
