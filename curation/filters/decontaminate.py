"""decontaminate: drop training rows whose problem or image appears in named eval snapshots.

Four tests, strongest first (the first that matches names the eval row in the detail):

- ``text_exact``: the problem text equals an eval problem after normalization (case, whitespace),
- ``image_exact``: an image is byte-identical to an eval image (same sha256),
- ``text_near``: the Jaccard similarity of word n-grams is >= ``near_threshold`` (candidates from
  the dedup filter's MinHash/LSH run across the two sets, then the exact Jaccard of each candidate),
- ``image_near``: the dHash of an image is within ``image_distance`` bits of an eval image's
  (a resized or re-encoded copy).

Dropped rows get reason ``contaminated``; the scores ``contamination`` (which test) and
``contaminated_by`` (``eval-ref:row-id``) stay on every row. The eval snapshots' ids are part of
this stage's config, so a new eval version makes a new snapshot, and the committed snapshot gets a
lineage edge ``decontaminated_against`` from each eval snapshot (see ``decontamination_status``).

Text and images are tested independently: in VQA a generic question ("What is the value of x?")
can repeat across different images; set ``text: false`` (images only) or raise ``min_text_words``
when the eval split shares templates with the pool. Likewise a perceptual hash cannot tell apart two
renders of one image template (tables or diagrams that differ in a few digits: the synthetic tables
all share a dHash); for such sources set ``image_distance: null`` (identical bytes only).
"""

from __future__ import annotations

from typing import Any

import polars as pl
from pydantic import Field

from curation.filters.dedup import normalized
from curation.filters.image_hash import MAX_DISTANCE, near_image_pairs, perceptual_hashes
from curation.filters.minhash import exact_jaccard, shingle_hashes, signatures_of, similar_pairs
from curation.rows import StageFailed, decide
from curation.stages.base import Stage, StageParams
from curation.stages.registry import register_stage
from curation.store import Snapshot, SnapshotInfo, SnapshotNotFound
from curation.store.lineage_query import DECONTAMINATED_AGAINST

EDGE_KIND = DECONTAMINATED_AGAINST
PRIORITY = {"text_exact": 0, "image_exact": 1, "text_near": 2, "image_near": 3}
CANDIDATE_MARGIN = 0.2  # ~3.5 standard deviations of a 64-permutation estimate near J = 0.7
MATCH_SCHEMA = {"kind": pl.Utf8, "eval_ref": pl.Utf8, "eval_id": pl.Utf8, "score": pl.Float64}


class DecontaminateParams(StageParams):
    against: list[str] = Field(min_length=1, description="eval snapshots (NAME or NAME@vN) whose problems and "
                               "images must not appear in the training data")
    text_column: str = Field("problem", description="problem text column, in the rows and in the eval snapshots")
    text: bool = Field(True, description="compare problem texts (exact after normalization, and near)")
    min_text_words: int = Field(1, ge=1, description="texts with fewer words are compared by image only")
    near_threshold: float | None = Field(0.7, gt=0, le=1, description="estimated Jaccard of word n-grams at or "
                                         "above which a text is a near duplicate; null: exact text only")
    ngram: int = Field(3, ge=1, description="words per shingle for near duplicates")
    permutations: int = Field(64, ge=8, le=256, description="MinHash permutations (bands x rows)")
    bands: int = Field(16, ge=1, description="LSH bands; permutations must divide evenly")
    images: bool = Field(True, description="compare images (sha256, and perceptual hash)")
    image_distance: int | None = Field(4, ge=0, le=MAX_DISTANCE, description="most differing bits of the 64-bit "
                                       "dHash for a resized/re-encoded copy; null: identical bytes only")


def _words(text: pl.Expr) -> pl.Expr:
    return text.str.count_matches(r"\w+")


@register_stage
class Decontaminate(Stage):
    type = "decontaminate"
    Params = DecontaminateParams
    scope = "global"
    description = "drop rows whose problem text or image appears (exactly or nearly) in eval snapshots"

    def __init__(self, params: StageParams, ctx: Any) -> None:
        super().__init__(params, ctx)
        self._against: list[SnapshotInfo] | None = None

    @property
    def p(self) -> DecontaminateParams:
        return self.params  # type: ignore[return-value]

    def against(self) -> list[SnapshotInfo]:
        """The eval snapshots, resolved once (``NAME`` means its latest version at planning time)."""
        if self._against is None:
            resolved = []
            for ref in self.p.against:
                try:
                    resolved.append(self.ctx.store.resolve(ref))
                except SnapshotNotFound as exc:
                    raise StageFailed(f"stage {self.ctx.stage_name!r} (decontaminate): against: {exc}") from None
            self._against = resolved
        return self._against

    def config(self) -> dict[str, Any]:
        return {**super().config(), "against_ids": [info.id for info in self.against()]}

    def lineage_detail(self) -> dict[str, Any]:
        # committed with the snapshot, so the record survives a crash before ``after_commit`` adds the edges
        return {self.ctx.stage_name or self.type: {EDGE_KIND: [{"id": info.id, "ref": info.ref}
                                                               for info in self.against()]}}

    def after_commit(self, info: SnapshotInfo) -> None:
        store = self.ctx.store
        for evaluation in self.against():
            recorded = {(e["src_id"], e["kind"]) for e in store.catalog.edges_into([info.id])}
            if (evaluation.id, EDGE_KIND) not in recorded:
                store.add_edge(evaluation.id, info.id, EDGE_KIND,
                               {"stage": self.ctx.stage_name, "eval": evaluation.ref, "config": self.p.model_dump()})

    # -- matching -------------------------------------------------------------
    def eval_rows(self) -> pl.DataFrame:
        """Columns ``eval_ref, eval_id, text, image_ids`` of every eval snapshot."""
        frames = []
        for info in self.against():
            scan = Snapshot(info).scan()
            columns = scan.collect_schema().names()
            if self.p.text and self.p.text_column not in columns:
                raise StageFailed(f"decontaminate: eval snapshot {info.ref} has no column {self.p.text_column!r} "
                                  f"(columns: {', '.join(columns)}); set text_column, or text: false")
            text = pl.col(self.p.text_column) if self.p.text_column in columns else pl.lit(None, dtype=pl.Utf8)
            images = pl.col("image_ids") if "image_ids" in columns else pl.lit([], dtype=pl.List(pl.Utf8))
            frames.append(scan.select(pl.lit(info.ref).alias("eval_ref"), pl.col("id").alias("eval_id"),
                                      text.cast(pl.Utf8).alias("text"), images.alias("image_ids")).collect())
        return pl.concat(frames)

    def text_matches(self, texts: pl.DataFrame, evals: pl.DataFrame) -> pl.DataFrame:
        """Per distinct normalized training text ``_norm``: its best eval match (``MATCH_SCHEMA`` columns)."""
        p = self.p
        usable = _words(pl.col("_norm")) >= p.min_text_words
        train = texts.filter(usable).unique("_norm")
        first_eval = evals.select("eval_ref", "eval_id", normalized("text", pl.Utf8()).alias("_norm")).drop_nulls(
            "_norm").filter(usable).sort("eval_ref", "eval_id").unique("_norm", keep="first", maintain_order=True)
        exact = train.join(first_eval, on="_norm").select(
            "_norm", pl.lit("text_exact").alias("kind"), "eval_ref", "eval_id", pl.lit(None, dtype=pl.Float64)
            .alias("score"))
        if p.near_threshold is None:
            return exact
        rest = train.join(exact.select("_norm"), on="_norm", how="anti")
        if rest.height == 0 or first_eval.height == 0:
            return exact
        # one signature per distinct text, under a short id (its position), not the text itself
        rest = rest.with_row_index("_tid").with_columns(pl.col("_tid").cast(pl.Utf8))
        evals_near = first_eval.with_row_index("_eid").with_columns(pl.col("_eid").cast(pl.Utf8))
        left = shingle_hashes(rest.select(pl.col("_tid").alias("id"), "_norm"), "_norm", p.ngram)
        right = shingle_hashes(evals_near.select(pl.col("_eid").alias("id"), "_norm"), "_norm", p.ngram)
        # LSH candidates at an estimated Jaccard well below the threshold, then the true Jaccard decides:
        # the MinHash estimate alone misses about a third of the pairs just above the threshold
        candidates = similar_pairs(signatures_of(left, p.permutations), signatures_of(right, p.permutations),
                                   permutations=p.permutations, bands=p.bands,
                                   threshold=max(0.0, p.near_threshold - CANDIDATE_MARGIN))
        pairs = candidates.with_columns(exact_jaccard(candidates, left, right)).filter(
            pl.col("jaccard") >= p.near_threshold)
        best = pairs.sort("jaccard", "id_right", descending=[True, False]).unique("id", keep="first")
        near = best.join(rest.select("_tid", "_norm"), left_on="id", right_on="_tid").join(
            evals_near.select("_eid", "eval_ref", "eval_id"), left_on="id_right", right_on="_eid").select(
            "_norm", pl.lit("text_near").alias("kind"), "eval_ref", "eval_id", pl.col("jaccard").alias("score"))
        return pl.concat([exact, near])

    def image_matches(self, shas: list[str], evals: pl.DataFrame) -> pl.DataFrame:
        """Per training image ``sha``: its best eval match (``MATCH_SCHEMA`` columns)."""
        eval_images = evals.select("eval_ref", "eval_id", pl.col("image_ids").alias("sha")).explode("sha") \
            .drop_nulls("sha").sort("eval_ref", "eval_id").unique("sha", keep="first", maintain_order=True)
        train = pl.DataFrame({"sha": shas}, schema={"sha": pl.Utf8})
        exact = train.join(eval_images, on="sha").select(
            "sha", pl.lit("image_exact").alias("kind"), "eval_ref", "eval_id", pl.lit(None, dtype=pl.Float64)
            .alias("score"))
        if self.p.image_distance is None:
            return exact
        rest = train.join(exact.select("sha"), on="sha", how="anti")["sha"].to_list()
        if not rest or eval_images.height == 0:
            return exact
        images = self.ctx.store.images
        pairs = near_image_pairs(perceptual_hashes(images, rest), perceptual_hashes(images, eval_images["sha"]),
                                 self.p.image_distance)
        best = pairs.unique("sha", keep="first", maintain_order=True)  # sorted by distance
        near = best.join(eval_images, left_on="sha_right", right_on="sha").select(
            "sha", pl.lit("image_near").alias("kind"), "eval_ref", "eval_id",
            pl.col("distance").cast(pl.Float64).alias("score"))
        return pl.concat([exact, near])

    # -- the stage ----------------------------------------------------------------
    def process(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        p = self.p
        schema = frame.collect_schema()
        if p.text and p.text_column not in schema:
            raise StageFailed(f"decontaminate: column {p.text_column!r} is missing (columns: {', '.join(schema)}); "
                              "set text_column, or text: false")
        evals = self.eval_rows()
        frame = frame.with_row_index("_row")
        matches: list[pl.LazyFrame] = []
        if p.text:
            frame = frame.with_columns(normalized(p.text_column, pl.Utf8()).alias("_norm"))
            texts = frame.select("_norm").drop_nulls().unique().collect()
            by_text = self.text_matches(texts, evals)
            matches.append(frame.select("_row", "_norm").join(by_text.lazy(), on="_norm").drop("_norm"))
        if p.images and "image_ids" in schema:
            row_images = frame.select("_row", pl.col("image_ids").alias("sha")).explode("sha").drop_nulls("sha")
            shas = row_images.select("sha").unique().collect()["sha"].sort().to_list()
            by_image = self.image_matches(shas, evals)
            matches.append(row_images.join(by_image.lazy(), on="sha").drop("sha"))
        if matches:
            rank = pl.col("kind").replace_strict(PRIORITY, return_dtype=pl.Int32)
            best = pl.concat(matches).with_columns(rank.alias("_rank")).sort("_row", "_rank", "eval_ref", "eval_id") \
                .group_by("_row", maintain_order=True).first().drop("_rank")
        else:
            best = pl.LazyFrame(schema={"_row": pl.UInt32, **MATCH_SCHEMA})
        frame = frame.join(best, on="_row", how="left", maintain_order="left")
        score = pl.when(pl.col("kind") == "text_near").then(pl.format(" (jaccard {})", pl.col("score").round(2))) \
            .when(pl.col("kind") == "image_near").then(pl.format(" (dHash distance {})", pl.col("score").cast(pl.Int64))) \
            .otherwise(pl.lit(""))
        detail = pl.format("{}{}: row {} of eval snapshot {}", pl.col("kind"), score, pl.col("eval_id"),
                           pl.col("eval_ref"))
        by = pl.when(pl.col("kind").is_not_null()).then(pl.format("{}:{}", pl.col("eval_ref"), pl.col("eval_id")))
        return frame.with_columns(pl.col("kind").alias("contamination"), by.alias("contaminated_by"),
                                  *decide(pl.col("kind").is_null(), "contaminated", detail)) \
            .drop("_row", "_norm", "kind", "eval_ref", "eval_id", "score", strict=False)
