"""A small reviewed-looking sft snapshot: kept rows with PNG images, plus rows two filters dropped."""

from __future__ import annotations

import polars as pl

from curation.rows import DETAIL, KEEP, REASON, rejection_frame
from curation.schema import SFT_SCHEMA, row_id
from curation.store import Store
from curation.store.snapshot import SnapshotInfo
from tests.conftest import png_bytes

SOURCES = ("chart", "chart", "chart", "chart", "geo", "geo", "geo", "geo")


def _row(store: Store, key: str, index: int, source: str, answer: str, said: str, verdict: str) -> dict:
    problem = f"Problem {key}: what is {index} + {int(answer) - index}?"
    return {
        "id": row_id("review-test", key), "problem_id": row_id("problem", key), "source": source,
        "problem": problem, "answer": answer, "choices": [], "image_ids": [store.images.put(png_bytes(index + 1))],
        "response": f"<think>{index} plus {int(answer) - index} makes {said}.</think> So <answer>{said}</answer>",
        "word_count": 8, "verdict": verdict, "extracted": said, "reflection_count": 0,
    }


def make_reviewable_snapshot(store: Store, name: str) -> tuple[SnapshotInfo, dict[str, str]]:
    """Snapshot ``name`` (kind sft) with kept rows k0..k7 and rejected r0..r3; returns (info, key -> row id).

    r0, r1 were dropped by stage ``length`` (index 0), r2, r3 by ``correctness`` (index 1).
    """
    kept = [_row(store, f"{name}-k{i}", i, SOURCES[i], "4", "4", "correct") for i in range(8)]
    rejected = [_row(store, f"{name}-r{i}", 10 + i, SOURCES[i * 2], "4", "4" if i < 2 else "5",
                     "correct" if i < 2 else "wrong") for i in range(4)]
    schema = {**SFT_SCHEMA, "word_count": pl.Int64, "verdict": pl.Utf8, "extracted": pl.Utf8,
              "reflection_count": pl.Int64}
    stages = [("length", 0, "too_long", rejected[:2]), ("correctness", 1, "wrong_answer", rejected[2:])]
    with store.writer(name, "sft", config={"test": name}) as writer:
        writer.write(pl.DataFrame(kept, schema=schema))
        rows_in = 12
        for stage, index, reason, rows in stages:
            dropped = pl.DataFrame(rows, schema=schema).with_columns(
                pl.lit(False).alias(KEEP), pl.lit(reason).alias(REASON), pl.lit("test").alias(DETAIL))
            writer.add_rejections(rejection_frame(dropped, index, stage))
            writer.add_funnel(index, stage, stage, rows_in, rows_in - len(rows), {reason: len(rows)})
            rows_in -= len(rows)
    ids = {f"k{i}": row["id"] for i, row in enumerate(kept)} | {f"r{i}": row["id"] for i, row in enumerate(rejected)}
    return writer.committed, ids
