"""What a snapshot looks like in Argilla: one dataset per snapshot version, one record per row.

Fields: image, problem, response (markdown, the think block collapsed), gold answer,
extracted answer. Questions: decision (accept/reject), reasoning quality (1-5), corrected
answer, note. Metadata: source, word count, verdict, reflection count, pass rate, filter
stage. The filters' own decision is pre-filled as a suggestion, so a reviewer confirms or
overturns it.
"""

from __future__ import annotations

import base64
import io
import re
from typing import TYPE_CHECKING, Any

from PIL import Image

from curation.filters.words import count_words
from curation.review.frame import KEPT
from curation.verify.trace_format import THINK_PART

if TYPE_CHECKING:
    import argilla as rg

    from curation.store import Store
    from curation.store.snapshot import SnapshotInfo

ACCEPT, REJECT = "accept", "reject"
DECISION, QUALITY, CORRECTED, NOTE = "decision", "quality", "corrected_answer", "note"
SUGGESTION_AGENT = "thinkset-filters"
MAX_INLINE_IMAGE_BYTES = 4 << 20  # bigger images are re-encoded smaller for the browser
_THINK = re.compile(THINK_PART)


def dataset_name(info: SnapshotInfo) -> str:
    """``sft-iter1@v2`` -> ``sft-iter1-v2`` (Argilla names allow letters, digits, ``-`` and ``_``)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", f"{info.name}-v{info.version}")


def review_settings() -> rg.Settings:
    import argilla as rg

    return rg.Settings(
        guidelines=(
            "Check the reasoning and the final answer against the image and the question. "
            "Accept a row that is right and worth training on; reject it otherwise. "
            "The decision is pre-filled with what the automatic filters decided (metadata "
            "`filter_stage` says which filter dropped a row). If the gold answer itself is wrong, "
            "write the right one in 'corrected answer'."
        ),
        fields=[
            rg.ImageField(name="image", title="Image", required=False),
            rg.TextField(name="problem", title="Question", use_markdown=True),
            rg.TextField(name="response", title="Model response", use_markdown=True, required=False),
            rg.TextField(name="gold_answer", title="Gold answer"),
            rg.TextField(name="extracted_answer", title="Answer extracted from the response", required=False),
        ],
        questions=[
            rg.LabelQuestion(name=DECISION, title="Keep this row for training?",
                             labels={ACCEPT: "Accept", REJECT: "Reject"}),
            rg.RatingQuestion(name=QUALITY, title="Reasoning quality (1 poor - 5 excellent)",
                              values=[1, 2, 3, 4, 5], required=False),
            rg.TextQuestion(name=CORRECTED, title="Corrected gold answer (only if the gold answer is wrong)",
                            required=False),
            rg.TextQuestion(name=NOTE, title="Note", required=False),
        ],
        metadata=[
            rg.TermsMetadataProperty(name="source", title="Source"),
            rg.IntegerMetadataProperty(name="word_count", title="Words"),
            rg.TermsMetadataProperty(name="verdict", title="Verdict"),
            rg.IntegerMetadataProperty(name="reflection_count", title="Reflections"),
            rg.FloatMetadataProperty(name="pass_rate", title="Pass rate"),
            rg.TermsMetadataProperty(name="filter_stage", title="Filter stage"),
        ],
        allow_extra_metadata=False,
    )


def render_response(response: str | None, *, show_think: bool = False) -> str:
    """Markdown for reviewers: the think block in a collapsible section (open with ``show_think``)."""
    if not response:
        return ""

    def fold(match: re.Match) -> str:
        words = count_words(match.group(1))
        state = " open" if show_think else ""
        return (f"<details{state}><summary>Reasoning ({words} words)</summary>\n\n"
                f"{match.group(1).strip()}\n\n</details>\n\n")

    return _THINK.sub(fold, response, count=1)


def image_data_url(data: bytes) -> str:
    """A data URL of the stored image; very large images are re-encoded as a smaller JPEG."""
    image = Image.open(io.BytesIO(data))
    mime = Image.MIME.get(image.format or "", "image/png")
    if len(data) > MAX_INLINE_IMAGE_BYTES:
        image = image.convert("RGB")
        image.thumbnail((1536, 1536))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=90)
        data, mime = buffer.getvalue(), "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def to_record(row: dict[str, Any], store: Store, *, show_think: bool = False) -> rg.Record:
    """One Argilla record for a review row (see ``curation.review.frame``)."""
    import argilla as rg

    fields: dict[str, Any] = {
        "problem": row["problem"] or "",
        "response": render_response(row["response"], show_think=show_think),
        "gold_answer": row["answer"] or "",
        "extracted_answer": row["extracted_answer"] or "",
    }
    if row["image_ids"]:
        fields["image"] = image_data_url(store.images.get(row["image_ids"][0]))
    metadata = {key: row[key] for key in ("source", "word_count", "verdict", "reflection_count", "pass_rate",
                                          "filter_stage") if row.get(key) is not None}
    kept = row["filter_stage"] == KEPT
    agent = SUGGESTION_AGENT if kept else f"{SUGGESTION_AGENT}:{row['filter_stage']}:{row['filter_reason']}"
    suggestion = rg.Suggestion(question_name=DECISION, value=ACCEPT if kept else REJECT, agent=agent)
    return rg.Record(id=row["id"], fields=fields, metadata=metadata, suggestions=[suggestion])
