"""The loop's steps: recipes built from the loop YAML for data, TRL runs for models, scoring for evals.

Data steps are ordinary recipes run by the pipeline, so an up-to-date snapshot
is reused by content id. Training and eval steps get a step key (a hash of
their inputs and config) and write to a folder named by it; a step whose
artifact is registered at that folder is done and is not run again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curation.pipeline import RunResult, run_recipe
from curation.recipe import recipe_from_dict
from curation.rows import StageFailed
from curation.stages.registry import load_stages
from curation.store import SnapshotInfo, SnapshotNotFound, Store
from training.loop.config import TINY_BASE, LoopConfig, Role, SnapshotSource
from training.loop.state import LoopState


class LoopError(RuntimeError):
    """The loop cannot go on; the message says which step, why, and what to do."""


def step_key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:20]


@dataclass
class StepOutput:
    """What a step made: its artifact, how to name it, and whether it already existed."""

    artifact_id: str
    artifact_ref: str
    skipped: bool = False
    path: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class LoopContext:
    config: LoopConfig
    store: Store
    state: LoopState
    pool: SnapshotInfo
    grpo_pool: SnapshotInfo | None
    eval_split: SnapshotInfo
    base_path: str
    base_id: str

    @property
    def root(self) -> Path:
        return self.store.root / "loops" / self.config.name

    def name(self, what: str, iteration: int) -> str:
        return f"{self.config.name}-{what}-iter{iteration}"


# -- inputs -------------------------------------------------------------------------
def ensure_snapshot(store: Store, source: SnapshotSource, role: str) -> SnapshotInfo:
    """The named snapshot; drawn first when it is missing and the loop says how (``synthetic``)."""
    try:
        return store.resolve(source.name)
    except SnapshotNotFound:
        if source.synthetic is None:
            raise LoopError(f"{role}: no snapshot {source.name!r} in {store.root}; make it first (e.g. "
                            f"`thinkset pool synth --name {source.name}` or `thinkset pool ingest`) or give "
                            f"`{role}.synthetic: {{n: N, seed: S}}` in the loop recipe") from None
    from curation.sources.pool import write_synthetic_pool

    return write_synthetic_pool(store, n=source.synthetic.n, seed=source.synthetic.seed, name=source.name)


def model_artifact(store: Store, path: str | Path) -> dict[str, Any] | None:
    """The latest model artifact registered at ``path`` (a folder, or a hub id for a base model)."""
    return store.catalog.model_artifact(path=str(path))


def ensure_base(config: LoopConfig, store: Store) -> tuple[str, str]:
    """(path or hub id, catalog id) of the base model; `tiny` builds the tiny model inside the store once."""
    base = config.base_model
    if base == TINY_BASE:
        folder = (store.root / "loops" / config.name / "base").resolve()
        if not (folder / "model.safetensors").is_file() or not (folder / "tokenizer.json").is_file():
            from training.tiny_model import build_tiny_model

            build_tiny_model(folder)
        base = str(folder)
    elif Path(base).exists():
        base = str(Path(base).resolve())
    existing = model_artifact(store, base)
    if existing is not None:
        return base, existing["id"]
    from curation.schema import row_id
    from training.identity import base_identity

    name = f"{config.name}-base"  # content id: the same base files (or hub id) give the same id in any store
    artifact_id = store.register_artifact(name=name, kind="model", path=base,
                                          metadata={"role": "base", "loop": config.name, "model": config.base_model},
                                          artifact_id=row_id("model", name, base_identity(store, base)))
    return base, artifact_id


# -- data ---------------------------------------------------------------------------
def generation(role: Role, *, model: str, default_preset: str) -> dict[str, Any]:
    """Params of a caption/reason stage from a role: what the role sets, its model, its preset or the use's."""
    # the seed goes in as the stage's own ``seed`` by the caller (the role's default 1234 included)
    params = role.model_dump(mode="json", exclude_defaults=True, exclude={"seed"})
    return {**params, "backend": role.backend, "model": model, "preset": role.preset or default_preset}


def problem_stages(ctx: LoopContext, iteration: int, problems: int, offset: int, extra: list[dict[str, Any]],
                   shares: dict[str, float] | None = None) -> list[dict[str, Any]]:
    """Sample this iteration's problems (in the source shares); drop those overlapping the eval split."""
    sample = {"type": "sample", "n": problems, "seed": ctx.config.seed + iteration, "offset": offset}
    if shares:  # sample more, then let the mix stage choose the shares
        sample["n"] = problems * 3
    # dedup first: a pool may hold one problem twice, and the sample counts problems
    stages: list[dict[str, Any]] = [{"type": "dedup"}, sample]
    if shares:
        stages.append({"type": "mix", "shares": shares, "max_problems": problems})
    stages += extra
    if ctx.config.decontaminate and "decontaminate" in load_stages():
        stages.append({"type": "decontaminate", "against": [ctx.eval_split.ref]})
    return stages


def sft_recipe(ctx: LoopContext, iteration: int, policy_model: str | None) -> dict[str, Any]:
    """SFT-iter(i) data: caption + text reasoner (``policy_model`` None), or rejection sampling from it."""
    config, settings = ctx.config, ctx.config.iteration(iteration).sft
    rollouts = ctx.name("rollouts-sft", iteration) if policy_model else ctx.name("rollouts-teacher", iteration)
    if policy_model is None:
        generate = [
            {"type": "caption", **generation(config.roles.captioner, model=config.roles.captioner.model,
                                             default_preset="greedy")},
            {"type": "reason", "mode": "text", "k": settings.k, "seed": config.roles.reasoner.seed,
             "output": rollouts, **generation(config.roles.reasoner, model=config.roles.reasoner.model,
                                              default_preset="sampling")},
        ]
    else:
        generate = [{"type": "reason", "mode": "image", "k": settings.k, "seed": config.roles.policy.seed,
                     "output": rollouts, **generation(config.roles.policy, model=policy_model,
                                                      default_preset="sampling")}]
    size = [{"type": "mix", "shares": settings.shares, "max_problems": settings.max_rows}] if settings.max_rows else []
    stages = [*problem_stages(ctx, iteration, settings.problems, 0, settings.stages, settings.shares), *generate,
              {"type": "reflection"}, {"type": "length", "max_words": settings.max_words}, {"type": "format"},
              {"type": "correctness"}, {"type": "select", "strategy": "shortest_correct"}, *size,
              {"type": "check", "kind": "sft"}]
    how = "rejection sampling" if policy_model else "caption + reasoner"
    return {"name": f"{config.name}-sft-data" + ("-rs" if policy_model else ""), "input": ctx.pool.id,
            "output": ctx.name("sft", iteration), "seed": config.seed, "stages": stages,
            "description": f"loop {config.name} iteration {iteration}: SFT data by {how}"}


def grpo_recipe(ctx: LoopContext, iteration: int, policy_model: str) -> dict[str, Any]:
    """GRPO-iter(i) data: the SFT model's k rollouts per problem, graded, selected by difficulty."""
    config, settings = ctx.config, ctx.config.iteration(iteration)
    grpo, pool = settings.grpo, ctx.grpo_pool or ctx.pool
    offset = 0 if ctx.grpo_pool is not None else settings.sft.problems * (3 if settings.sft.shares else 1)
    stages = [*problem_stages(ctx, iteration, grpo.problems, offset, grpo.stages),
              {"type": "reason", "mode": "image", "k": grpo.k, "seed": config.roles.policy.seed,
               **generation(config.roles.policy, model=policy_model, default_preset="rollout")},
              {"type": "correctness", "keep": ["correct", "wrong", "unparseable"],
               "output": ctx.name("rollouts-grpo", iteration)},
              {"type": "difficulty", **grpo.selection}, {"type": "to_grpo"}, {"type": "check", "kind": "grpo"}]
    return {"name": f"{config.name}-grpo-data", "input": pool.id, "output": ctx.name("grpo", iteration),
            "seed": config.seed, "stages": stages,
            "description": f"loop {config.name} iteration {iteration}: GRPO data selected by the SFT model's "
                           "pass rate"}


def run_data(ctx: LoopContext, recipe: dict[str, Any]) -> RunResult:
    parsed = recipe_from_dict(recipe, where=f"{ctx.config.path or 'loop'} ({recipe['name']})")
    return run_recipe(parsed, ctx.store)


def link(store: Store, src_id: str, dst_id: str, kind: str, detail: dict[str, Any] | None = None) -> None:
    """Add a lineage edge once (a resumed loop must not add it twice)."""
    if not any(e["src_id"] == src_id and e["kind"] == kind for e in store.catalog.edges_into([dst_id])):
        store.add_edge(src_id, dst_id, kind, detail)


def link_generator(ctx: LoopContext, result: RunResult, model_id: str, name: str) -> None:
    """Edge model -> the rollouts it generated: the loop's chain from one model to the next."""
    for info in result.in_order:
        if info.name == name:
            link(ctx.store, model_id, info.id, "generated_by", {"loop": ctx.config.name})


def sft_data(ctx: LoopContext, iteration: int, policy: tuple[str, str] | None) -> StepOutput:
    """Run the SFT data recipe; for iteration > 1 fall back to the reasoner when the loop allows it."""
    settings = ctx.config.iteration(iteration).sft
    result, failure = None, None
    try:
        result = run_data(ctx, sft_recipe(ctx, iteration, policy[0] if policy else None))
    except StageFailed as exc:
        if policy is None or settings.fallback == "fail":
            raise
        failure = str(exc).splitlines()[0]
    if policy is not None:
        rollouts = ctx.store.resolve(ctx.name("rollouts-sft", iteration))
        link(ctx.store, policy[1], rollouts.id, "generated_by", {"loop": ctx.config.name})
    rows = result.final.rows if result else 0
    if result is not None and rows >= settings.min_rows:
        return StepOutput(result.final.id, result.final.ref, not result.snapshots, detail={"rows": rows})
    assert policy is not None  # iteration 1 has no fallback: its failure was raised above
    why = failure or f"{rows} rows < min_rows {settings.min_rows}"
    if settings.fallback == "fail":
        raise LoopError(f"iteration {iteration} sft-data: rejection sampling from {policy[0]} kept too little "
                        f"({why}); raise sft.problems or sft.k, or set sft.fallback: reasoner")
    fallback = run_data(ctx, sft_recipe(ctx, iteration, None))
    link(ctx.store, rollouts.id, fallback.final.id, "fallback_for",
         {"why": why, "loop": ctx.config.name, "policy_rows": rows})
    return StepOutput(fallback.final.id, fallback.final.ref, not fallback.snapshots,
                      detail={"rows": fallback.final.rows, "fallback": "reasoner", "why": why, "policy_rows": rows})


def grpo_data(ctx: LoopContext, iteration: int, policy: tuple[str, str]) -> StepOutput:
    result = run_data(ctx, grpo_recipe(ctx, iteration, policy[0]))
    link_generator(ctx, result, policy[1], ctx.name("rollouts-grpo", iteration))
    return StepOutput(result.final.id, result.final.ref, not result.snapshots, detail={"rows": result.final.rows})


# -- training -----------------------------------------------------------------------
def train(ctx: LoopContext, mode: str, iteration: int, snapshot: StepOutput, base: tuple[str, str],
          callbacks: list[Any] | None = None, on_start: Callable[[str], None] | None = None) -> StepOutput:
    """SFT or GRPO ``base`` on ``snapshot``; skipped when the model of the same inputs is registered."""
    presets = ctx.config.presets
    preset, overrides = (presets.sft, presets.sft_set) if mode == "sft" else (presets.grpo, presets.grpo_set)
    key = step_key(mode, snapshot.artifact_id, base[1], preset, overrides)
    output = (ctx.root / "models" / f"{mode}-iter{iteration}-{key}").resolve()
    existing = model_artifact(ctx.store, output)
    if existing is not None:
        return StepOutput(existing["id"], f"{existing['name']}@v{existing['version']}", True, str(output),
                          {"step_key": key})
    name = f"{ctx.config.name}-model-{mode}-iter{iteration}"
    if on_start is not None:
        on_start(key)
    if mode == "sft":
        from training.sft import train_sft

        result = train_sft(snapshot.artifact_id, base=base[0], output_dir=output, preset=preset,
                           overrides=overrides, store=ctx.store, model_name=name, callbacks=callbacks)
    else:
        from training.grpo import train_grpo

        result = train_grpo(snapshot.artifact_id, base=base[0], output_dir=output, preset=preset,
                            overrides=overrides, store=ctx.store, model_name=name, callbacks=callbacks)
    registered = model_artifact(ctx.store, output)  # named as the lineage and the report name it: NAME@vN
    ref = f"{registered['name']}@v{registered['version']}" if registered else str(output)
    return StepOutput(result.artifact_id, ref, False, str(output),
                      {"step_key": key, "train_loss": result.metrics.get("train_loss"),
                       "train_runtime": result.metrics.get("train_runtime")})


# -- evaluation ---------------------------------------------------------------------
def evaluate_model(ctx: LoopContext, model: tuple[str, str]) -> StepOutput:
    """Score ``model`` on the eval split with the paper's inference preset (a recorded eval is reused)."""
    from training.eval import run_eval

    split = ctx.config.eval
    policy = ctx.config.roles.policy
    result = run_eval(ctx.store, model[0], ctx.eval_split.id, backend=split.backend or policy.backend,
                      base_url=policy.base_url, limit=split.limit, max_new_tokens=split.max_new_tokens)
    return StepOutput(result.artifact_id, f"{result.name}", result.reused, result.rows_path,
                      {"accuracy": result.accuracy, "n": result.n, "ci95": list(result.ci95), "model": result.model})
