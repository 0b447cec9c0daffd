"""Run an OpenVLThinker loop: per iteration SFT data -> SFT from the base -> rollouts -> difficulty
selection -> GRPO from the SFT model -> evaluation of both models; the base model is iteration 0.

Every step ends in an artifact with lineage; a re-run after a crash resumes at the first step whose
artifact is missing (data steps are no-ops by content id; training and eval steps by step key).

For tests and demos, ``THINKSET_LOOP_HOOK`` pauses the loop at named points so a test can kill it
there: a comma-separated list of ``ITERATION:STEP:WHEN`` with WHEN ``before``, ``after`` or
``during`` (training steps: after the first optimizer step). At a hook the loop prints
``loop-hook ITERATION:STEP:WHEN`` and sleeps ``THINKSET_LOOP_HOOK_SECONDS`` (default 3600).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from curation.store import Store
from training.loop.config import LoopConfig
from training.loop.state import LoopState
from training.loop.steps import (
    LoopContext,
    StepOutput,
    ensure_base,
    ensure_snapshot,
    evaluate_model,
    grpo_data,
    sft_data,
    train,
)

STEPS = ("sft-data", "sft-train", "grpo-data", "grpo-train", "eval-sft", "eval-grpo")
BASE_STEP = (0, "eval-base")


def plan(iterations: int) -> list[tuple[int, str]]:
    """Every (iteration, step) of a loop of ``iterations`` iterations, in the order they run."""
    return [BASE_STEP, *((i, step) for i in range(1, iterations + 1) for step in STEPS)]


class Hooks:
    """Pause points from ``THINKSET_LOOP_HOOK`` (see the module docstring)."""

    def __init__(self, spec: str | None = None, seconds: float | None = None) -> None:
        spec = os.environ.get("THINKSET_LOOP_HOOK", "") if spec is None else spec
        self.points = {p.strip() for p in spec.split(",") if p.strip()}
        self.seconds = float(os.environ.get("THINKSET_LOOP_HOOK_SECONDS", "3600")) if seconds is None else seconds

    def at(self, iteration: int, step: str, when: str) -> None:
        point = f"{iteration}:{step}:{when}"
        if point in self.points:
            sys.stdout.write(f"\nloop-hook {point}\n")  # own line, after any progress bar
            sys.stdout.flush()
            time.sleep(self.seconds)

    def callbacks(self, iteration: int, step: str) -> list[Any] | None:
        if f"{iteration}:{step}:during" not in self.points:
            return None
        from transformers import TrainerCallback

        hooks = self

        class PauseAfterFirstStep(TrainerCallback):  # type: ignore[misc]
            def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
                if state.global_step == 1:
                    hooks.at(iteration, step, "during")

        return [PauseAfterFirstStep()]


@dataclass
class LoopRun:
    """What a run of the loop made or found, by (iteration, step)."""

    name: str
    outputs: dict[tuple[int, str], StepOutput] = field(default_factory=dict)
    seconds: float = 0.0

    def ran(self) -> list[tuple[int, str]]:
        return [key for key, out in self.outputs.items() if not out.skipped]


def run_loop(config: LoopConfig, store: Store, *, iterations: int | None = None,
             echo: Callable[[str], None] = print, hooks: Hooks | None = None) -> LoopRun:
    """Run (or resume) ``iterations`` iterations of the loop (default: as many as the recipe lists)."""
    from training.demo import cpu_threads

    with cpu_threads(config.cpu_threads):
        return _run_loop(config, store, iterations=iterations, echo=echo, hooks=hooks)


def _run_loop(config: LoopConfig, store: Store, *, iterations: int | None,
              echo: Callable[[str], None], hooks: Hooks | None) -> LoopRun:
    count = iterations or len(config.iterations)
    hooks = hooks or Hooks()
    state = LoopState(store, config.name)
    state.register(config.path, config.digest, config.record())
    started = time.perf_counter()
    pool = ensure_snapshot(store, config.pool, "pool")
    grpo_pool = ensure_snapshot(store, config.grpo_pool, "grpo_pool") if config.grpo_pool else None
    eval_split = ensure_snapshot(store, config.eval, "eval")
    base = ensure_base(config, store)
    ctx = LoopContext(config=config, store=store, state=state, pool=pool, grpo_pool=grpo_pool, eval_split=eval_split,
                      base_path=base[0], base_id=base[1])
    run = LoopRun(config.name)

    def step(iteration: int, name: str, work: Callable[[], StepOutput]) -> StepOutput:
        hooks.at(iteration, name, "before")
        from training.loop.steps import step_key

        key = step_key(config.name, iteration, name)
        started_at = state.started(iteration, name, key)
        output = work()
        state.finished(iteration, name, output.detail.get("step_key", key), artifact_id=output.artifact_id,
                       artifact_ref=output.artifact_ref, started_at=started_at, skipped=output.skipped,
                       detail=output.detail)
        run.outputs[(iteration, name)] = output
        echo(f"loop {config.name}, iteration {iteration}, {name}: {'up to date' if output.skipped else 'made'} "
             f"{output.artifact_ref}")
        hooks.at(iteration, name, "after")
        return output

    def trained(iteration: int, name: str, mode: str, data: StepOutput, from_model: tuple[str, str]) -> StepOutput:
        def work() -> StepOutput:
            return train(ctx, mode, iteration, data, from_model, callbacks=hooks.callbacks(iteration, name),
                         on_start=lambda key: state.event(iteration, name, "trainer_run", key))
        return step(iteration, name, work)

    step(*BASE_STEP, lambda: evaluate_model(ctx, base))
    policy: tuple[str, str] | None = None  # the GRPO model of the previous iteration
    for i in range(1, count + 1):
        sft_snapshot = step(i, "sft-data", lambda i=i, policy=policy: sft_data(ctx, i, policy))  # type: ignore[misc]
        sft_model = trained(i, "sft-train", "sft", sft_snapshot, base)  # the paper: SFT from the base model
        sft_ref = (str(sft_model.path), sft_model.artifact_id)
        grpo_snapshot = step(i, "grpo-data", lambda i=i, m=sft_ref: grpo_data(ctx, i, m))  # type: ignore[misc]
        grpo_model = trained(i, "grpo-train", "grpo", grpo_snapshot, sft_ref)
        grpo_ref = (str(grpo_model.path), grpo_model.artifact_id)
        step(i, "eval-sft", lambda m=sft_ref: evaluate_model(ctx, m))  # type: ignore[misc]
        step(i, "eval-grpo", lambda m=grpo_ref: evaluate_model(ctx, m))  # type: ignore[misc]
        policy = grpo_ref
    run.seconds = round(time.perf_counter() - started, 2)
    return run


def loop_status(store: Store, config: LoopConfig, iterations: int | None = None) -> list[dict[str, Any]]:
    """One row per planned step: done / interrupted / pending, its artifact and when it finished."""
    state = LoopState(store, config.name)
    recorded = {(row["iteration"], row["step"]): row for row in state.steps()}
    count = max([iterations or len(config.iterations), *(i for i, _ in recorded)])
    rows = []
    for iteration, name in plan(count):
        row = recorded.get((iteration, name))
        status = "pending" if row is None else ("done" if row["status"] == "done" else "interrupted")
        rows.append({"iteration": iteration, "step": name, "status": status,
                     "artifact": row["artifact_ref"] if row else None,
                     "finished_at": row["finished_at"] if row else None,
                     "seconds": round(row["seconds"], 1) if row and row["seconds"] is not None else None})
    return rows
