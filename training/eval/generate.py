"""Eval generation: one request per (problem, sample) through any curation backend, with the cache.

Image mode asks the model the training prompt (images + question + the
think/answer instruction of ``training.data``); text mode asks a text reasoner
the ``reason_text`` prompt (caption + question), as the reason stage does in
iteration 1. Every answer goes into the store's eval generation cache before it
counts, so a killed eval resumes and asks only for what is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import polars as pl

from curation.generate.backends import BackendConfig, make_backend
from curation.generate.base import GenerationRequest, SamplingParams, image_part, request_key, text_part
from curation.generate.cache import GenerationCache
from curation.generate.prompts import render
from curation.generate.runner import GenerationStats, check_failures, run_requests
from curation.store import Store
from training.data import DEFAULT_INSTRUCTION, question_text

Mode = Literal["image", "text"]
CONTEXT_FIELDS = ("id", "problem", "answer", "choices", "metadata", "caption")


def eval_cache_path(store: Store) -> Path:
    return store.root / "work" / "eval" / "generations.sqlite"


def messages_for(row: dict[str, Any], mode: Mode, instruction: str = DEFAULT_INSTRUCTION) -> list[dict[str, Any]]:
    if mode == "text":
        return [{"role": "user", "content": render("reason_text", row)}]
    content = [image_part(sha) for sha in row.get("image_ids") or []]
    content.append(text_part(question_text(row["problem"], row.get("choices"), instruction)))
    return [{"role": "user", "content": content}]


def eval_requests(problems: pl.DataFrame, model: str, params: SamplingParams, k: int,
                  mode: Mode) -> list[tuple[int, int, GenerationRequest]]:
    """(problem index, sample index, request) for k samples of every problem."""
    out = []
    for index, row in enumerate(problems.iter_rows(named=True)):
        messages = messages_for(row, mode)
        # only the synthetic teacher reads the context (it needs the gold answer); it is not part of the key
        context = {"task": "reason", "problem_id": row["id"], **{f: row.get(f) for f in CONTEXT_FIELDS}}
        for sample in range(k):
            request = GenerationRequest(key=request_key(model, params, messages, sample, 1), messages=messages,
                                        params=params, first_sample=sample, context=context)
            out.append((index, sample, request))
    return out


def generate_samples(store: Store, problems: pl.DataFrame, *, backend: str, model: str, base_url: str | None,
                     params: SamplingParams, k: int, mode: Mode, progress: Any = None, key_model: str | None = None,
                     ) -> tuple[pl.DataFrame, GenerationStats]:
    """``problems`` repeated per sample with ``sample_index`` and ``response``; raises GenerationFailed when
    any request failed for good (the answers so far stay cached; a re-run asks only for the rest).
    ``key_model`` names the model in the request keys (and so the sampling seeds) when ``model`` is a path
    that differs between stores (a registered model: its catalog id); default ``model``."""
    planned = eval_requests(problems, key_model or model, params, k, mode)
    engine = make_backend(backend, BackendConfig(model=model, base_url=base_url), store.images)
    try:
        with GenerationCache(eval_cache_path(store)) as cache:
            results, stats = run_requests(engine, [r for _, _, r in planned], cache, progress=progress, label="eval")
            check_failures(results, stats, 0.0, "eval", cache)
    finally:
        engine.close()
    samples = pl.DataFrame({"_problem": [p for p, _, _ in planned], "sample_index": [s for _, s, _ in planned],
                            "response": [results[r.key].texts[0] for _, _, r in planned]},
                           schema={"_problem": pl.UInt32, "sample_index": pl.Int32, "response": pl.Utf8})
    frame = problems.with_row_index("_problem").join(samples, on="_problem").sort("_problem", "sample_index")
    return frame.drop("_problem"), stats
