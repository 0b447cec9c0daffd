"""dedup's near-duplicate path with its candidates spilled to disk: the pairs equal the in-memory MinHash/LSH
ones, and the stage's output does not depend on how many chunks and partitions the spill used."""

from __future__ import annotations

import random

import polars as pl
import pytest

import curation.filters.near_spill as near_spill
from curation.filters.dedup import near_clusters
from curation.filters.minhash import signatures, similar_pairs
from tests.conftest import pool_frame
from tests.filters.helpers import run_stage

WORDS = ("triangle angle circle radius area price apples shop bar chart value line table row sum count marks "
         "blue red").split()


def near_frame(store, n: int, seed: int = 5) -> pl.DataFrame:
    """``n`` problems drawn from n/3 texts: exact copies, copies with a word changed, copies in other case."""
    rng = random.Random(seed)
    base = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 20))) for _ in range(n // 3)]
    problems = []
    for _ in range(n):
        words = rng.choice(base).split()
        roll = rng.random()
        if roll < 0.3 and len(words) > 8:
            words[rng.randrange(len(words))] = rng.choice(WORDS)
        elif roll < 0.4:
            words = [w.upper() if rng.random() < 0.2 else w for w in words]
        problems.append(" ".join(words))
    return pool_frame(store, n, with_images=False).with_columns(problem=pl.Series(problems))


def small_spill(monkeypatch) -> None:
    monkeypatch.setattr(near_spill, "NEAR_CHUNK_ROWS", 37)
    monkeypatch.setattr(near_spill, "NEAR_PARTITIONS", 5)


def test_spilled_pairs_equal_the_in_memory_pairs(store, tmp_path, monkeypatch):
    small_spill(monkeypatch)
    texts = near_frame(store, 300).select("id", "problem")
    texts.write_parquet(tmp_path / "texts.parquet")
    expected = similar_pairs(signatures(texts, "problem", 3, 64), None, permutations=64, bands=16, threshold=0.5)
    spilled = near_spill.spilled_similar_pairs(tmp_path / "texts.parquet", "problem", tmp_path / "spill", ngram=3,
                                               permutations=64, bands=16, threshold=0.5)
    assert spilled.height > 100 and spilled.equals(expected)
    assert not (tmp_path / "spill" / "bands").exists()  # the band partitions go once joined
    with pytest.raises(ValueError, match="multiple of bands"):
        near_spill.spilled_similar_pairs(tmp_path / "texts.parquet", "problem", tmp_path / "x", ngram=3,
                                         permutations=64, bands=10, threshold=0.5)


@pytest.mark.parametrize("threshold", [0.5, 0.8])
def test_near_dedup_output_does_not_depend_on_the_spill(store, monkeypatch, threshold):
    frame = near_frame(store, 400)
    one_chunk = run_stage("dedup", frame, store, near_threshold=threshold)  # every text in one chunk
    small_spill(monkeypatch)
    kept, rejected = run_stage("dedup", frame, store, near_threshold=threshold)
    assert kept.equals(one_chunk[0]) and rejected.equals(one_chunk[1])
    kinds = rejected["_detail"].str.split(" ").list.first()
    assert set(kinds) == {"exact", "near"}
    # the near clusters are those of the in-memory MinHash/LSH pairs over the rows left after exact dedup
    survivors = pl.concat([kept, rejected.filter(kinds == "near")]).select("id", "problem")
    pairs = similar_pairs(signatures(survivors, "problem", 3, 64), None, permutations=64, bands=16,
                          threshold=threshold)
    expected = near_clusters(pairs).sort("id")
    got = rejected.filter(kinds == "near").select("id", pl.col("duplicate_of").alias("near_of")).sort("id")
    assert got.equals(expected)
