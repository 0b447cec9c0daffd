"""``run_eval``: generate answers for an eval snapshot with any backend, score them in a benchmark's
style, and record the eval as a catalog artifact (a no-op when the same eval exists)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import polars as pl

from curation.generate.base import PRESETS
from curation.store import Store
from training.eval.artifact import eval_key, find_eval, save_eval
from training.eval.contamination import contamination_warning
from training.eval.generate import Mode, generate_samples
from training.eval.models import resolve_model
from training.eval.result import EvalResult, group_score, group_scores, per_problem
from training.eval.score import MATHVISTA_FIELDS, STYLES, score_frame

# Columns an eval reads from the snapshot; everything else (responses of a rollouts snapshot) is left behind.
PROBLEM_FIELDS = ("id", "source", "problem", "answer", "choices", "image_ids", "metadata", "caption", "style",
                  "category", "subject", *MATHVISTA_FIELDS)


class EvalError(ValueError):
    """Bad eval input: unknown preset or style, k < 1, text mode without captions."""


def eval_problems(store: Store, on: str, limit: int | None, mode: Mode) -> tuple[Any, pl.DataFrame]:
    """The snapshot and its problems (one row per problem, the first ``limit`` of them)."""
    snapshot = store.open(on)
    frame = snapshot.scan()
    columns = frame.collect_schema().names()
    if "problem_id" in columns:  # a rollouts/sft snapshot: one question per problem, not per sample
        frame = frame.unique(subset=["problem_id"], keep="first", maintain_order=True) \
            .with_columns(pl.col("problem_id").alias("id"))
    if mode == "text" and "caption" not in columns:
        raise EvalError(f"{snapshot.info.ref} has no 'caption' column: a text reasoner needs captions; evaluate a "
                        "snapshot written by a caption stage, or use mode image")
    # a problem listed twice (a pool may repeat one) is asked and counted once
    frame = frame.select([c for c in PROBLEM_FIELDS if c in columns]).unique(subset=["id"], keep="first",
                                                                               maintain_order=True)
    return snapshot, (frame.head(limit) if limit else frame).collect()


def _warn(line: str) -> None:
    sys.stderr.write(line + "\n")


def run_eval(store: Store | str | Path, model: str, on: str, *, backend: str = "transformers",
             base_url: str | None = None, model_name: str | None = None, k: int = 1, limit: int | None = None,
             sampling: str = "greedy", max_new_tokens: int | None = None, style: str | None = None, seed: int = 0,
             mode: Mode = "image", progress: Any = None) -> EvalResult:
    """Score ``model`` (folder, registered model name/ref/id, or served name) on snapshot ``on``.

    ``k`` samples per problem (pass@j reported for j = 1, 2, 4, ... <= k), the ``sampling`` preset
    (``greedy`` is the paper's inference setting), ``style`` overriding each row's scoring style.
    Running the same eval again returns the recorded one (``reused`` is True); a killed eval resumes
    from the generation cache. Prints a warning line when the model's training lineage was not
    decontaminated against ``on``.
    """
    store = store if isinstance(store, Store) else Store(store)
    if sampling not in PRESETS:
        raise EvalError(f"unknown sampling preset {sampling!r}; presets: {', '.join(PRESETS)}")
    if style is not None and style not in STYLES:
        raise EvalError(f"unknown style {style!r}; styles: {', '.join(STYLES)}")
    if k < 1:
        raise EvalError(f"k must be at least 1, got {k}")
    snapshot, problems = eval_problems(store, on, limit, mode)
    info = snapshot.info
    resolved = resolve_model(store, model, model_name)
    params = PRESETS[sampling].model_copy(update={"seed": seed, **(
        {"max_new_tokens": max_new_tokens} if max_new_tokens else {})})
    # a registered model loaded from its own folder is its catalog (content) id, wherever the store lives
    engine = None if resolved.artifact_id and resolved.engine_model == resolved.path else resolved.engine_model
    key = eval_key({"model": resolved.identity, "engine_model": engine, "snapshot": info.id,
                    "backend": backend, "params": params.model_dump(mode="json"), "k": k, "limit": limit,
                    "style": style, "mode": mode})
    warnings = []
    if k > 1 and sampling == "greedy" and backend != "synthetic":
        warnings.append(f"warning: {k} samples with the greedy preset are near-identical; use sampling "
                        "'sampling' for a meaningful pass@k")
    line = contamination_warning(store, resolved.artifact_id, resolved.name, info.id, info.ref)
    warnings += [line] if line else []
    for warning in warnings:
        _warn(warning)
    existing = find_eval(store, key)
    if existing is not None:
        existing.warnings = warnings
        return existing
    samples, _ = generate_samples(store, problems, backend=backend, model=resolved.engine_model, base_url=base_url,
                                  key_model=None if engine else f"model:{resolved.identity}",
                                  params=params, k=k, mode=mode, progress=progress)
    scored = score_frame(samples, style)
    problem_scores = per_problem(scored, k)
    overall = group_score(problem_scores, k)
    styles = scored["style"].unique().to_list()
    result = EvalResult(
        artifact_id="", name="", model=resolved.name, model_id=resolved.artifact_id, snapshot=info.ref,
        snapshot_id=info.id, backend=backend, sampling=sampling, mode=mode, k=k,
        style=style or (styles[0] if len(styles) == 1 else "per-row"), n=overall.n, accuracy=overall.accuracy,
        ci95=overall.ci95, pass_at_k=overall.pass_at_k, by_source=group_scores(problem_scores, "source", k),
        by_category=group_scores(problem_scores, "category", k), rows_path="", warnings=warnings)
    rows = scored.select("id", "source", "category", "style", "answer", "choices", "sample_index", "response",
                         "extracted", "prediction", "status", "correct")
    return save_eval(store, result, key, rows, model_identity=resolved.identity)
