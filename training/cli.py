"""`thinkset train sft|grpo|presets` and `thinkset dev tiny-model`; assembled by ``curation.cli``."""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from curation.commands.common import JsonOption, StoreOption, console, fail, open_store, print_json, table

train_app = typer.Typer(help="Train on a snapshot with TRL (SFT, GRPO) using paper presets.", no_args_is_help=True)
dev_app = typer.Typer(help="Developer tools: a tiny model for tests and demos.", no_args_is_help=True)

BaseOption = Annotated[str, typer.Option("--base", help="base model: a local folder or a hub id")]
OutOption = Annotated[Path, typer.Option("--out", help="output folder for the trained model")]
SetOption = Annotated[list[str] | None, typer.Option("--set", help="override a preset field: KEY=VALUE "
                                                                   "(YAML value; dotted for nested, e.g. lora.r=8)")]
ConfigOption = Annotated[Path | None, typer.Option("--config", help="YAML file of preset field overrides")]
NameOption = Annotated[str | None, typer.Option("--name", help="catalog name of the model (default MODE-SNAPSHOT)")]


def _quiet_stdout(json_out: bool) -> contextlib.AbstractContextManager:
    """With --json, the trainer's log lines go to stderr so stdout is only the JSON report."""
    return contextlib.redirect_stdout(sys.stderr) if json_out else contextlib.nullcontext()


def _run(mode: str, snapshot: str, base: str, preset: str, out: Path, overrides: list[str] | None,
         config: Path | None, name: str | None, store: Path | None, json_out: bool) -> None:
    from curation.store import SnapshotNotFound
    from training.data import TrainingDataError
    from training.presets import PresetError

    try:
        if mode == "sft":
            from training.sft import train_sft as train
        else:
            from training.grpo import train_grpo as train
        with _quiet_stdout(json_out):
            result = train(snapshot, base=base, output_dir=out, preset=preset, overrides=overrides or [],
                           config_file=config, store=open_store(store), model_name=name)
    except (PresetError, TrainingDataError, SnapshotNotFound, FileNotFoundError) as exc:
        fail(str(exc))
    if json_out:
        print_json(result.to_json())
        return
    shown = {k: v for k, v in result.metrics.items() if k in ("train_loss", "loss", "reward", "reward_std",
                                                               "train_runtime", "peak_rss_mib", "step")}
    console.print(f"[bold green]{mode} done[/]: model in {result.output_dir} (catalog id {result.artifact_id}); "
                  f"card {result.output_dir / 'README.md'}")
    console.print(shown)


def register(app: typer.Typer) -> None:
    """Add `train` and `dev` to the thinkset CLI."""

    @train_app.command("sft")
    def sft(snapshot: Annotated[str, typer.Argument(help="sft snapshot NAME@vN")], base: BaseOption,
            out: OutOption, preset: Annotated[str, typer.Option(help="preset name")] = "openvlthinker-sft",
            overrides: SetOption = None, config: ConfigOption = None, name: NameOption = None,
            store: StoreOption = None, json_out: JsonOption = False) -> None:
        """Supervised fine-tuning of --base on an sft snapshot; saves, documents and registers the model."""
        _run("sft", snapshot, base, preset, out, overrides, config, name, store, json_out)

    @train_app.command("grpo")
    def grpo(snapshot: Annotated[str, typer.Argument(help="grpo (or pool/sft) snapshot NAME@vN")],
             base: BaseOption, out: OutOption,
             preset: Annotated[str, typer.Option(help="preset name")] = "openvlthinker-grpo",
             overrides: SetOption = None, config: ConfigOption = None, name: NameOption = None,
             store: StoreOption = None, json_out: JsonOption = False) -> None:
        """GRPO of --base on a snapshot's prompts with verifiable rewards; saves, documents and registers it."""
        _run("grpo", snapshot, base, preset, out, overrides, config, name, store, json_out)

    @train_app.command("presets")
    def presets(mode: Annotated[str, typer.Argument(help="sft or grpo")] = "sft") -> None:
        """List the presets of MODE and every field with its default and help."""
        from training.presets import PRESETS, describe

        if mode not in PRESETS:
            fail(f"mode must be one of {', '.join(PRESETS)}, not {mode!r}")
        console.print(table(f"{mode} presets", ["name", "overrides of the defaults"],
                            [[n, ", ".join(f"{k}={v}" for k, v in p.items() if k != "description")]
                             for n, p in PRESETS[mode].items()]))
        console.print(table(f"{mode} preset fields (--set KEY=VALUE)", ["field", "type", "default", "help"],
                            [list(row) for row in describe(mode)]))

    @train_app.command("demo")
    def demo(sft_snapshot: Annotated[str, typer.Option("--sft", help="sft snapshot of the demo")],
             grpo_snapshot: Annotated[str, typer.Option("--grpo", help="grpo snapshot of the demo")],
             out: OutOption, base: Annotated[str | None, typer.Option(
                 "--base", help="base model (default: a fresh tiny model)")] = None,
             store: StoreOption = None, json_out: JsonOption = False) -> None:
        """Tiny SFT then tiny GRPO (from the SFT model) on CPU; prints where both models are and the GRPO rewards."""
        from curation.store import SnapshotNotFound
        from training.data import TrainingDataError
        from training.demo import grpo_reward_summary, train_demo

        try:
            with _quiet_stdout(json_out):
                sft, grpo = train_demo(open_store(store), sft_ref=sft_snapshot, grpo_ref=grpo_snapshot,
                                       out_dir=out, base=base)
        except (TrainingDataError, SnapshotNotFound) as exc:
            fail(str(exc))
        rewards = grpo_reward_summary(grpo)
        if json_out:
            print_json({"sft": sft.to_json(), "grpo": grpo.to_json(), "grpo_rewards": rewards})
            return
        for result in (sft, grpo):
            console.print(f"{result.mode}: {result.output_dir} (catalog id {result.artifact_id}, "
                          f"{result.metrics.get('train_runtime')}s, peak RSS {result.metrics.get('peak_rss_mib')} MiB)")
        parts = ", ".join(f"{key.removesuffix('_mean')} {value}" for key, value in rewards.items()
                          if key.endswith("_mean") and key != "reward_mean")
        console.print(f"grpo rewards over {rewards['steps']} steps: mean {rewards.get('reward_mean')}, "
                      f"std within a prompt's group {rewards.get('reward_std')} ({parts})")

    @train_app.command("evaluate")
    def evaluate_command(
            model: Annotated[str, typer.Argument(help="model folder or id (as the backend knows it)")],
            snapshot: Annotated[str, typer.Argument(help="eval snapshot NAME@vN (problem, answer, images)")],
            backend: Annotated[str, typer.Option(help="transformers | vllm | openai | synthetic")] = "transformers",
            base_url: Annotated[str | None, typer.Option("--base-url", help="OpenAI-compatible server URL")] = None,
            limit: Annotated[int | None, typer.Option(help="first N problems only")] = None,
            max_new_tokens: Annotated[int | None, typer.Option(help="override the greedy preset's 2048")] = None,
            results: Annotated[Path | None, typer.Option(help="write per-row verdicts to this parquet file")] = None,
            store: StoreOption = None, json_out: JsonOption = False) -> None:
        """Same as `thinkset eval MODEL --on SNAPSHOT` (kept for existing scripts)."""
        import shutil

        from curation.rows import StageFailed
        from curation.store import SnapshotNotFound
        from training.eval import run_eval
        from training.eval.cli import print_eval

        try:
            with _quiet_stdout(json_out):
                outcome = run_eval(open_store(store), model, snapshot, backend=backend, base_url=base_url,
                                   limit=limit, max_new_tokens=max_new_tokens)
        except (SnapshotNotFound, StageFailed, ValueError) as exc:
            fail(str(exc))
        if results is not None:
            results.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(outcome.rows_path, results)
        print_json(outcome.to_json()) if json_out else print_eval(outcome)

    @dev_app.command("tiny-model")
    def tiny_model(out: Annotated[Path, typer.Argument(help="folder to write the model into")],
                   seed: Annotated[int, typer.Option(help="weight seed")] = 0) -> None:
        """Write a random-weight tiny Qwen2.5-VL model + processor (no hub) for tests and demos."""
        from training.tiny_model import build_tiny_model, import_model_classes

        import_model_classes()  # import time is not build time
        started = time.perf_counter()
        path = build_tiny_model(out, seed=seed)
        console.print(f"tiny model written to {path} in {time.perf_counter() - started:.2f}s")

    app.add_typer(train_app, name="train")
    app.add_typer(dev_app, name="dev")
