"""`thinkset iterate RECIPE [--iterations N] [--status]` and `thinkset report LOOP`; registered by curation.cli."""

# No `from __future__ import annotations`: typer reads these annotations at runtime.
from pathlib import Path
from typing import Annotated

import typer

from curation.commands.common import JsonOption, StoreOption, console, fail, open_store, print_json, table


def register(app: typer.Typer) -> None:
    """Add `iterate` and `report` to the thinkset CLI."""

    @app.command()
    def iterate(recipe: Annotated[Path, typer.Argument(help="loop recipe YAML (e.g. recipes/demo-iterate.yaml)")],
                iterations: Annotated[int | None, typer.Option(
                    "--iterations", min=1, help="iterations to run (default: as many as the recipe lists)")] = None,
                status: Annotated[bool, typer.Option("--status", help="show where the loop stands; run nothing")]
                = False,
                store: StoreOption = None, json_out: JsonOption = False) -> None:
        """Run (or resume) the self-improvement loop: SFT data, SFT, rollouts, difficulty, GRPO, eval."""
        from curation.recipe import RecipeError
        from curation.rows import StageFailed
        from curation.store import SnapshotNotFound
        from training.data import TrainingDataError
        from training.loop.config import LoopConfigError, load_loop
        from training.loop.iterate import loop_status, run_loop
        from training.loop.report import summary_lines, write_report
        from training.loop.steps import LoopError
        from training.presets import PresetError

        try:
            config = load_loop(recipe)
        except LoopConfigError as exc:
            fail(str(exc))
            return
        st = open_store(store)
        if status:
            rows = loop_status(st, config, iterations)
            if json_out:
                print_json(rows)
            else:
                console.print(table(f"loop {config.name}", ["iteration", "step", "status", "artifact", "finished",
                                                            "seconds"],
                                    [[r["iteration"], r["step"], r["status"], r["artifact"], r["finished_at"],
                                      r["seconds"]] for r in rows]))
            return
        try:
            run = run_loop(config, st, iterations=iterations, echo=console.print)
            report, summary = write_report(st, config.name)
        except (LoopError, RecipeError, StageFailed, SnapshotNotFound, TrainingDataError, PresetError) as exc:
            fail(f"loop {config.name}: {exc}\nRe-run the same command to resume from the first missing step.")
            return
        if json_out:
            print_json({"loop": config.name, "seconds": run.seconds, "ran": [list(k) for k in run.ran()],
                        "report": str(report)})
            return
        for line in summary_lines(summary):
            console.print(line)
        console.print(f"loop [bold]{config.name}[/]: {len(run.ran())} step(s) run, "
                      f"{len(run.outputs) - len(run.ran())} up to date, {run.seconds} s; report: {report}")

    @app.command()
    def report(loop: Annotated[str, typer.Argument(help="loop name (or its recipe YAML)")],
               out: Annotated[Path | None, typer.Option("--out", help="folder for report.md and the PNGs "
                                                                      "(default STORE/loops/LOOP/report)")] = None,
               store: StoreOption = None, json_out: JsonOption = False) -> None:
        """Markdown + PNG report of a loop: sizes, funnels, pass rates, source mix, accuracy per iteration."""
        from training.loop.config import LoopConfigError, load_loop
        from training.loop.report import summary_lines, write_report

        name = loop
        if loop.endswith((".yaml", ".yml")):
            try:
                name = load_loop(loop).name
            except LoopConfigError as exc:
                fail(str(exc))
                return
        try:
            path, summary = write_report(open_store(store), name, out)
        except LookupError as exc:
            fail(str(exc))
            return
        if json_out:
            print_json({"loop": name, "report": str(path), "accuracy_png": str(path.parent / "accuracy.png"),
                        "evals": [p.__dict__ for p in summary.evals]})
            return
        for line in summary_lines(summary):
            console.print(line)
        console.print(f"report: {path} (plots: {path.parent / 'accuracy.png'}, {path.parent / 'pass_rate.png'})")
