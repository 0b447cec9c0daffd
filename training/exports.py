"""Export a snapshot for other trainers: LLaMA-Factory (sharegpt), EasyR1, and TRL (parquet).

The paper trained SFT with LLaMA-Factory and GRPO with EasyR1; these layouts let
users of those tools train on a thinkset snapshot unchanged:

- ``llamafactory``: ``<name>.json`` (rows of sharegpt ``messages`` with ``<image>``
  placeholders + ``images`` paths relative to the folder) and a
  ``dataset_info.json`` entry; point ``dataset_dir`` at the folder, ``dataset: <name>``.
- ``easyr1``: ``train.parquet`` with ``problem`` (``<image>`` placeholders),
  ``answer`` and ``images`` (Hugging Face ``Image`` list); ``data.train_files=<folder>/train.parquet``.
- ``trl``: ``train.parquet`` of exactly the rows ``training.data`` feeds TRL.

``export_for_trainer(snapshot, store, fmt, out_dir)`` writes one of them; ``thinkset export`` finds
them through the ``thinkset.exporters`` entry points in pyproject.toml (one per ``EXPORT_FORMATS`` key).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from curation.publish.export import write_image_file
from curation.store import Snapshot, Store
from training.data import DEFAULT_INSTRUCTION, SFT_KINDS, TrainingDataError, question_text, trainer_dataset

IMAGE_PLACEHOLDER = "<image>"


def export_llamafactory(snapshot: Snapshot, store: Store, out_dir: Path, *, name: str | None = None,
                        instruction: str = DEFAULT_INSTRUCTION, **_: Any) -> dict[str, Any]:
    """sharegpt rows + ``dataset_info.json`` (merged into an existing one) in ``out_dir``."""
    if snapshot.info.kind not in SFT_KINDS:
        raise TrainingDataError(f"llamafactory export is for SFT data ({'/'.join(SFT_KINDS)} snapshots); "
                                f"{snapshot.info.ref} is {snapshot.info.kind!r}; use --format easyr1 for GRPO")
    name = name or snapshot.info.name.replace("-", "_")
    images_dir = out_dir / "images"
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for row in snapshot.read().iter_rows(named=True):
        image_ids = list(row["image_ids"] or [])
        user = IMAGE_PLACEHOLDER * len(image_ids) + question_text(row["problem"], row["choices"], instruction)
        rows.append({"messages": [{"role": "user", "content": user},
                                  {"role": "assistant", "content": row["response"]}],
                     "images": [write_image_file(store, sha, images_dir) for sha in image_ids],
                     "id": row["id"]})
    data_file = out_dir / f"{name}.json"
    data_file.write_text(json.dumps(rows, ensure_ascii=False, indent=1))
    info_path = out_dir / "dataset_info.json"
    info = json.loads(info_path.read_text()) if info_path.exists() else {}
    info[name] = {"file_name": data_file.name, "formatting": "sharegpt",
                  "columns": {"messages": "messages", "images": "images"},
                  "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                           "assistant_tag": "assistant"}}
    info_path.write_text(json.dumps(info, indent=2))
    return {"format": "llamafactory", "path": str(out_dir), "dataset": name, "rows": len(rows),
            "files": [data_file.name, info_path.name]}


def export_easyr1(snapshot: Snapshot, store: Store, out_dir: Path, **_: Any) -> dict[str, Any]:
    """``train.parquet`` with problem (``<image>`` placeholders, lettered choices), answer, images."""
    from datasets import Dataset, Features, List, Value
    from datasets import Image as ImageFeature

    rows = []
    for row in snapshot.read().unique(subset=["problem_id"] if "problem_id" in snapshot.scan().collect_schema()
                                      else ["id"], keep="first", maintain_order=True).iter_rows(named=True):
        image_ids = list(row["image_ids"] or [])
        rows.append({"id": row.get("problem_id") or row["id"], "source": row["source"],
                     "problem": IMAGE_PLACEHOLDER * len(image_ids) + question_text(row["problem"], row["choices"],
                                                                                   instruction=""),
                     "answer": row["answer"],
                     "images": [{"bytes": store.images.get(sha), "path": None} for sha in image_ids]})
    features = Features({"id": Value("string"), "source": Value("string"), "problem": Value("string"),
                         "answer": Value("string"), "images": List(ImageFeature())})
    out_dir.mkdir(parents=True, exist_ok=True)
    Dataset.from_list(rows, features=features).to_parquet(str(out_dir / "train.parquet"))
    return {"format": "easyr1", "path": str(out_dir), "rows": len(rows), "files": ["train.parquet"]}


def export_trl(snapshot: Snapshot, store: Store, out_dir: Path, *, mode: str | None = None,
               max_pixels: int = 262144, min_pixels: int = 3136,
               instruction: str = DEFAULT_INSTRUCTION, **_: Any) -> dict[str, Any]:
    """``train.parquet`` of the rows TRL gets: ``messages`` (sft kinds) or ``prompt``+``solution`` (others)."""
    mode = mode or ("sft" if snapshot.info.kind in SFT_KINDS else "grpo")
    dataset = trainer_dataset(snapshot, store, mode, instruction=instruction, max_pixels=max_pixels,
                              min_pixels=min_pixels)
    out_dir.mkdir(parents=True, exist_ok=True)
    dataset.to_parquet(str(out_dir / "train.parquet"))
    return {"format": "trl", "mode": mode, "path": str(out_dir), "rows": len(dataset), "files": ["train.parquet"]}


EXPORT_FORMATS: dict[str, Callable[..., dict[str, Any]]] = {
    "llamafactory": export_llamafactory,
    "easyr1": export_easyr1,
    "trl": export_trl,
}


def export_for_trainer(snapshot: Snapshot, store: Store, fmt: str, out_dir: str | Path,
                       **options: Any) -> dict[str, Any]:
    """Write ``snapshot`` in trainer layout ``fmt`` (llamafactory | easyr1 | trl) under ``out_dir``; a summary."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown trainer export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    return EXPORT_FORMATS[fmt](snapshot, store, Path(out_dir), **options)
