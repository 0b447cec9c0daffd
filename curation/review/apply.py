"""`review apply`: the reviewers' decisions as a new version of the reviewed snapshot.

From the responses in the catalog (``review pull`` puts them there; no server needed):
rows reviewers rejected are dropped with reason ``review_rejected``; corrected gold answers
replace ``answer`` (the old one kept in ``answer_before_review``) and the response is
re-graded with ``curation.verify.grade`` (``verdict``, ``extracted_answer``). In an ``sft``
snapshot, where every trace must reach the gold answer, a row whose re-grade is not
correct is dropped with reason ``review_regraded_wrong``. Rows the filters had dropped
stay dropped even when reviewers accept them: ``review stats`` reports those disagreements.

The new version's id is a hash of (parent, review, decisions): applying the same decisions
twice returns the same version.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import polars as pl

from curation.review.catalog import get_review, load_responses
from curation.review.connection import ReviewError
from curation.review.dataset import REJECT
from curation.review.decisions import final_decisions
from curation.review.frame import EXTRACTED_COLUMNS, grade_rows
from curation.rows import DETAIL, KEEP, REASON, rejection_frame
from curation.schema import row_id
from curation.store import Store

STAGE = "review"
REVIEW_REJECTED = "review_rejected"
REGRADED_WRONG = "review_regraded_wrong"


@dataclass
class ApplyResult:
    snapshot: str
    parent: str
    review_id: str
    rows_in: int
    rows_out: int
    rejected: int
    corrected: int
    regraded_wrong: int

    def to_json(self) -> dict:
        return asdict(self)


def _decide(frame: pl.DataFrame, decisions: pl.DataFrame, kind: str) -> pl.DataFrame:
    frame = frame.join(decisions.select("row_id", "decision", "accepts", "rejects", "corrected_answer", "notes"),
                       left_on="id", right_on="row_id", how="left")
    corrected = pl.col("corrected_answer").is_not_null() & (pl.col("decision") != REJECT).fill_null(True)
    frame = frame.with_columns(
        pl.when(corrected).then(pl.col("answer")).otherwise(None).alias("answer_before_review"),
        pl.when(corrected).then(pl.col("corrected_answer")).otherwise(pl.col("answer")).alias("answer"),
        pl.col("decision").alias("review_decision"),
    )
    if "response" in frame.columns:
        mask = frame.select(corrected.alias("c"))["c"].to_list()
        graded = grade_rows([r if m else None for r, m in zip(frame["response"], mask, strict=True)],
                            frame["answer"].to_list(), frame["choices"].to_list())
        old_verdict = frame["verdict"] if "verdict" in frame.columns else pl.Series([None] * frame.height)
        extracted_column = next((c for c in EXTRACTED_COLUMNS if c in frame.columns), "extracted_answer")
        old_extracted = frame[extracted_column] if extracted_column in frame.columns \
            else pl.Series([None] * frame.height)
        frame = frame.with_columns(
            pl.Series("verdict", [g[0] if m else o for g, m, o in zip(graded, mask, old_verdict, strict=True)],
                      dtype=pl.Utf8),
            pl.Series(extracted_column,
                      [g[1] if m else o for g, m, o in zip(graded, mask, old_extracted, strict=True)],
                      dtype=pl.Utf8),
        )
    rejected = (pl.col("decision") == REJECT).fill_null(False)
    wrong = corrected & (pl.col("verdict") != "correct").fill_null(True) if kind == "sft" else pl.lit(False)
    return frame.with_columns(
        (~rejected & ~wrong).alias(KEEP),
        pl.when(rejected).then(pl.lit(REVIEW_REJECTED)).when(wrong).then(pl.lit(REGRADED_WRONG))
        .otherwise(None).alias(REASON),
        pl.when(rejected).then(pl.format("{} of {} reviewers rejected; notes: {}", pl.col("rejects"),
                                         pl.col("accepts") + pl.col("rejects"), pl.col("notes").fill_null("-")))
        .when(wrong).then(pl.format("corrected answer {} -> verdict {}", pl.col("answer"),
                                    pl.col("verdict").fill_null("none")))
        .otherwise(None).alias(DETAIL),
    ).drop("decision", "accepts", "rejects", "corrected_answer", "notes")


def apply(store: Store, ref: str, *, workspace: str | None = None) -> ApplyResult:
    """Write the next version of ``ref``'s snapshot with the pulled review decisions applied."""
    snapshot = store.open(ref)
    info = snapshot.info
    review = get_review(store, info, workspace)
    responses = load_responses(store, review)
    if responses.height == 0:
        raise ReviewError(f"no submitted review responses for {info.ref} in the catalog; "
                          f"run `thinkset review pull {info.ref}` after reviewers have submitted")
    decisions = final_decisions(responses)
    frame = snapshot.read()
    decided = _decide(frame, decisions, info.kind)
    kept = decided.filter(pl.col(KEEP)).drop(KEEP, REASON, DETAIL)
    dropped = decided.filter(~pl.col(KEEP))
    digest = row_id(decisions.sort("row_id").to_dicts())
    config = {"stage": STAGE, "review_id": review.review_id, "decisions": digest}
    reasons = dropped[REASON].value_counts().iter_rows() if dropped.height else []
    with store.writer(info.name, info.kind, parents=[info.id], config=config, edge_kind="filtered_from",
                      edge_detail={"stage": STAGE, "review_id": review.review_id},
                      metadata={"review_id": review.review_id, "reviewed": info.ref}) as writer:
        writer.write(kept)
        writer.add_rejections(rejection_frame(dropped, 0, STAGE))
        writer.add_funnel(0, STAGE, STAGE, frame.height, kept.height, dict(reasons))
    new = writer.committed
    if new is None:
        raise ReviewError(f"applying the review of {info.ref} wrote no snapshot")
    if not any(e["src_id"] == review.review_id and e["kind"] == "applied_to" for e in store.catalog.edges_into([new.id])):
        store.add_edge(review.review_id, new.id, "applied_to")
    corrected = decided["answer_before_review"].is_not_null().sum()
    return ApplyResult(new.ref, info.ref, review.review_id, frame.height, kept.height,
                       int((dropped[REASON] == REVIEW_REJECTED).sum()), int(corrected),
                       int((dropped[REASON] == REGRADED_WRONG).sum()))
