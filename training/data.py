"""Snapshot -> the dataset TRL expects.

SFT rows are conversational ``messages`` (a user turn with image blocks and the
question + instruction, an assistant turn with the curated response) plus an
``images`` column. GRPO rows are a conversational ``prompt`` with the image
plus ``solution``/``answer``/``choices`` columns that TRL passes to every reward
function as keyword arguments, row by row.

Images come from the store's content-addressed files and are resized once,
here, to the size the processor would produce (``smart_resize`` with the
processor's patch x merge factor and pixel bounds), so the processor's own
resize is then a no-op and the exported TRL data shows exactly what the model
sees.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from PIL import Image

from curation.generate.prompts import question_text
from curation.store import Snapshot, Store
from curation.verify.trace_format import INSTRUCTION

# The answer format the paper's traces use and the format reward checks (the reason prompts end with it too).
DEFAULT_INSTRUCTION = INSTRUCTION
PATCH_FACTOR = 28  # Qwen2.5-VL: patch 14 x spatial merge 2; image sides are multiples of this
SFT_KINDS = ("sft", "rollouts")  # kinds with a ``response`` column
GRPO_KINDS = ("grpo", "pool", "sft", "rollouts")


class TrainingDataError(ValueError):
    """A snapshot cannot be turned into trainer data (wrong kind, missing column, missing image)."""


def fit_image(image: Image.Image, *, min_pixels: int, max_pixels: int, factor: int = PATCH_FACTOR) -> Image.Image:
    """``image`` as RGB, resized to the size Qwen2.5-VL's processor resizes it to (sides multiple of ``factor``)."""
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import smart_resize

    image = image.convert("RGB")
    height, width = smart_resize(image.height, image.width, factor=factor, min_pixels=min_pixels,
                                 max_pixels=max_pixels)
    if (height, width) != (image.height, image.width):
        image = image.resize((width, height), Image.Resampling.BICUBIC)
    return image


def _png(image: Image.Image) -> dict[str, Any]:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return {"bytes": buffer.getvalue(), "path": None}


def _rows(snapshot: Snapshot, required: tuple[str, ...], limit: int | None) -> Iterator[dict[str, Any]]:
    schema = snapshot.scan().collect_schema()
    missing = [c for c in required if c not in schema]
    if missing:
        raise TrainingDataError(f"snapshot {snapshot.info.ref} ({snapshot.info.kind}) has no column(s) "
                                f"{', '.join(missing)}; train from a snapshot that has them")
    frame = snapshot.scan()
    if limit is not None:
        frame = frame.head(limit)
    yield from frame.collect().iter_rows(named=True)


def _images(store: Store, row: dict[str, Any], snapshot: Snapshot, pixels: tuple[int, int]) -> list[dict[str, Any]]:
    images = []
    for sha in row.get("image_ids") or []:
        if not store.images.exists(sha):
            raise TrainingDataError(f"snapshot {snapshot.info.ref}, row {row['id']}: image {sha} is missing from "
                                    f"the image store {store.images.root}; re-ingest it or drop the row")
        images.append(_png(fit_image(store.images.open(sha), min_pixels=pixels[0], max_pixels=pixels[1])))
    return images


def _user_turn(row: dict[str, Any], n_images: int, instruction: str) -> dict[str, Any]:
    text = question_text(row["problem"], row.get("choices"), instruction)
    blocks: list[dict[str, Any]] = [{"type": "image"} for _ in range(n_images)]
    return {"role": "user", "content": [*blocks, {"type": "text", "text": text}]}


def sft_records(snapshot: Snapshot, store: Store, *, instruction: str = DEFAULT_INSTRUCTION,
                min_pixels: int = 3136, max_pixels: int = 262144, limit: int | None = None
                ) -> Iterator[dict[str, Any]]:
    """SFT rows: ``messages`` (user with image blocks, assistant = response), ``images`` and row provenance."""
    if snapshot.info.kind not in SFT_KINDS:
        raise TrainingDataError(f"SFT needs a snapshot with responses ({'/'.join(SFT_KINDS)}); "
                                f"{snapshot.info.ref} is a {snapshot.info.kind!r} snapshot")
    for row in _rows(snapshot, ("id", "problem", "response", "image_ids"), limit):
        images = _images(store, row, snapshot, (min_pixels, max_pixels))
        assistant = {"role": "assistant", "content": [{"type": "text", "text": row["response"]}]}
        yield {"id": row["id"], "source": row.get("source"), "answer": row.get("answer"),
               "messages": [_user_turn(row, len(images), instruction), assistant], "images": images}


def grpo_records(snapshot: Snapshot, store: Store, *, instruction: str = DEFAULT_INSTRUCTION,
                 min_pixels: int = 3136, max_pixels: int = 262144, limit: int | None = None
                 ) -> Iterator[dict[str, Any]]:
    """GRPO rows: a conversational ``prompt`` with image blocks, ``images``, ``solution`` (= answer), ``choices``."""
    if snapshot.info.kind not in GRPO_KINDS:
        raise TrainingDataError(f"GRPO needs a {'/'.join(GRPO_KINDS)} snapshot; {snapshot.info.ref} is "
                                f"{snapshot.info.kind!r}")
    for row in _rows(snapshot, ("id", "problem", "answer", "image_ids"), limit):
        images = _images(store, row, snapshot, (min_pixels, max_pixels))
        yield {"id": row["id"], "source": row.get("source"), "prompt": [_user_turn(row, len(images), instruction)],
               "images": images, "solution": row["answer"], "answer": row["answer"],
               "choices": list(row.get("choices") or []), "pass_rate": row.get("pass_rate")}


def _features(kind: str) -> Any:
    from datasets import Features, Image, List, Value

    text_block = {"type": Value("string"), "text": Value("string")}
    turn = {"role": Value("string"), "content": List(text_block)}
    common = {"id": Value("string"), "source": Value("string"), "images": List(Image())}
    if kind == "sft":
        return Features({**common, "answer": Value("string"), "messages": List(turn)})
    return Features({**common, "prompt": List(turn), "solution": Value("string"), "answer": Value("string"),
                     "choices": List(Value("string")), "pass_rate": Value("float64")})


def trainer_dataset(snapshot: Snapshot, store: Store, mode: str, **options: Any) -> Any:
    """A ``datasets.Dataset`` for TRL's SFTTrainer (``mode="sft"``) or GRPOTrainer (``mode="grpo"``).

    ``options``: instruction, min_pixels, max_pixels, limit (see ``sft_records`` / ``grpo_records``).
    """
    from datasets import Dataset

    records = {"sft": sft_records, "grpo": grpo_records}[mode]
    rows = list(records(snapshot, store, **options))
    if not rows:
        raise TrainingDataError(f"snapshot {snapshot.info.ref} has no rows to train on")
    return Dataset.from_list(rows, features=_features(mode))
