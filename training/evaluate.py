"""Score a model on an eval snapshot with the same prompt and the same grader as training.

Generation goes through ``curation.generate``'s backends (transformers locally,
vLLM offline, or any OpenAI-compatible server), with the paper's greedy-like
inference setting by default; every response is graded by
``curation.verify.grade``. Results: accuracy overall and per source, the
per-row verdicts as parquet, and an ``eval`` artifact in the catalog with edges
from the snapshot (``evaluated_on``) and, when registered, the model
(``evaluated``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from curation.store import Store
from curation.verify import grade
from training.data import DEFAULT_INSTRUCTION, question_text


@dataclass
class EvalResult:
    snapshot: str
    model: str
    rows: int
    accuracy: float
    by_source: dict[str, float] = field(default_factory=dict)
    artifact_id: str | None = None
    results_path: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _requests(frame: pl.DataFrame, model: str, params: Any, instruction: str) -> list[Any]:
    from curation.generate.base import GenerationRequest, image_part, request_key, text_part

    requests = []
    for row in frame.iter_rows(named=True):
        content = [image_part(sha) for sha in row["image_ids"] or []]
        content.append(text_part(question_text(row["problem"], row["choices"], instruction)))
        messages = [{"role": "user", "content": content}]
        # context is not part of the key; only the synthetic teacher reads it (it needs the gold answer)
        context = {k: row.get(k) for k in ("id", "problem", "answer", "choices", "metadata", "problem_id")}
        requests.append(GenerationRequest(key=request_key(model, params, messages, 0, 1), messages=messages,
                                          params=params, context=context))
    return requests


def evaluate(snapshot_ref: str, model: str, *, store: Store | None = None, backend: str = "transformers",
             base_url: str | None = None, sampling: str = "greedy", max_new_tokens: int | None = None,
             limit: int | None = None, instruction: str = DEFAULT_INSTRUCTION,
             results_path: str | Path | None = None, register: bool = True) -> EvalResult:
    """Generate an answer for every problem of ``snapshot_ref`` with ``model`` and grade it against ``answer``."""
    from curation.generate.backends import BackendConfig, make_backend
    from curation.generate.base import PRESETS

    store = store or Store()
    snapshot = store.open(snapshot_ref)
    frame = snapshot.scan().head(limit).collect() if limit else snapshot.read()
    if "problem_id" in frame.columns:  # one question per problem, not per sample
        frame = frame.unique(subset=["problem_id"], keep="first", maintain_order=True)
    params = PRESETS[sampling]
    if max_new_tokens is not None:
        params = params.model_copy(update={"max_new_tokens": max_new_tokens})
    requests = _requests(frame, model, params, instruction)
    engine = make_backend(backend, BackendConfig(model=model, base_url=base_url), store.images)
    try:
        texts = {result.key: (result.texts[0] if result.ok and result.texts else "")
                 for result in engine.generate(requests)}
    finally:
        engine.close()
    responses = [texts.get(r.key, "") for r in requests]
    verdicts = [grade(text, row["answer"], choices=list(row["choices"] or []))
                for text, row in zip(responses, frame.iter_rows(named=True), strict=True)]
    scored = frame.select("id", "source", "answer").with_columns(
        response=pl.Series(responses, dtype=pl.Utf8),
        extracted=pl.Series([v.extracted for v in verdicts], dtype=pl.Utf8),
        status=pl.Series([v.status for v in verdicts], dtype=pl.Utf8),
        correct=pl.Series([v.correct for v in verdicts], dtype=pl.Boolean))
    by_source = {row["source"]: round(row["accuracy"], 4) for row in scored.group_by("source").agg(
        pl.col("correct").mean().alias("accuracy")).sort("source").iter_rows(named=True)}
    accuracy = round(float(scored["correct"].mean() or 0.0), 4)
    result = EvalResult(snapshot=snapshot.info.ref, model=model, rows=scored.height, accuracy=accuracy,
                        by_source=by_source)
    if results_path is not None:
        Path(results_path).parent.mkdir(parents=True, exist_ok=True)
        scored.write_parquet(results_path)
        result.results_path = str(results_path)
    if register:
        edges = [(snapshot.info.id, "evaluated_on")]
        model_rows = store.catalog.query("SELECT id FROM artifacts WHERE artifact_type = 'model' AND path = ? "
                                         "ORDER BY created_at DESC LIMIT 1", [str(Path(model).resolve())])
        edges += [(row["id"], "evaluated") for row in model_rows]
        result.artifact_id = store.register_artifact(
            name=f"eval-{snapshot.info.name}", kind="eval", path=str(results_path or ""), artifact_type="eval",
            metadata=json.loads(json.dumps({k: v for k, v in result.to_json().items() if k != "artifact_id"})),
            edges=edges)
    return result
