"""`thinkset eval`: score a model on a snapshot, compare two evals, run the caption study, list evals."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated, Any

import typer

from curation.commands.common import JsonOption, StoreOption, console, fail, open_store, print_json, table


def _pct(value: float) -> str:
    return f"{100 * value:.1f}"


def _interval(ci: Any) -> str:
    return f"[{_pct(ci[0])}, {_pct(ci[1])}]"


def print_eval(result: Any) -> None:
    reused = " (recorded eval: nothing generated)" if result.reused else ""
    console.print(f"[bold]{result.model}[/] on [bold]{result.snapshot}[/]: accuracy {_pct(result.accuracy)}% "
                  f"{_interval(result.ci95)} over {result.n} problems (k={result.k}, {result.sampling}, "
                  f"style {result.style}, {result.backend}){reused}", highlight=False)
    console.print(f"eval {result.name} (id {result.artifact_id}); rows {result.rows_path}", highlight=False)
    ks = [j for j in result.pass_at_k if j > 1]
    columns = ["n", "accuracy %", "95% CI", *[f"pass@{j} %" for j in ks]]
    for title, groups in (("by source", result.by_source), ("by category", result.by_category)):
        if groups:
            console.print(table(title, [title.split()[-1], *columns], [
                [name, g.n, _pct(g.accuracy), _interval(g.ci95), *[_pct(g.pass_at_k[j]) for j in ks]]
                for name, g in groups.items()]))
    if ks:
        console.print("pass@k: " + ", ".join(f"pass@{j} {_pct(v)}%" for j, v in result.pass_at_k.items()))


def print_comparison(comparison: Any) -> None:
    a, b = comparison.a, comparison.b
    paired = comparison.rows and comparison.rows[0].paired
    console.print(f"A = {a.name} ({a.model} on {a.snapshot})\nB = {b.name} ({b.model} on {b.snapshot})\n"
                  + ("paired: both scored the same problems" if paired else
                     "independent samples (different problems): Newcombe interval"), highlight=False)
    console.print(table("accuracy %, A vs B", ["group", "n A", "A", "A 95% CI", "n B", "B", "B 95% CI", "A - B",
                                              "A - B 95% CI"], [
        [r.group, r.n_a, _pct(r.accuracy_a), _interval(r.ci_a), r.n_b, _pct(r.accuracy_b), _interval(r.ci_b),
         f"{100 * r.difference:+.1f}", _interval(r.ci_difference)] for r in comparison.rows]))


def print_study(study: Any) -> None:
    rows = study.table()
    columns = [c for c in rows[0] if c not in ("source", "n")]
    console.print(table(f"caption study: {study.reasoner} answering from captions A = {study.labels[0]}, "
                        f"B = {study.labels[1]} (pass@j %)", ["source", "n", *columns],
                        [[r["source"], r["n"], *[_pct(r[c]) for c in columns]] for r in rows]))
    console.print(f"plot: {study.plot_path}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add `eval` to the thinkset CLI."""

    @app.command("eval")
    def eval_command(
            model: Annotated[str | None, typer.Argument(
                help="model folder, registered model NAME, NAME@vN or id, or a served model name; "
                     "the word 'captions' runs the caption study")] = None,
            on: Annotated[str | None, typer.Option("--on", help="eval snapshot: NAME (latest) or NAME@vN")] = None,
            backend: Annotated[str | None, typer.Option(
                help="transformers | vllm | openai | synthetic (default transformers; openai for the caption "
                     "study)")] = None,
            base_url: Annotated[str | None, typer.Option("--base-url", help="OpenAI-compatible server URL")] = None,
            model_name: Annotated[str | None, typer.Option(
                "--model-name", help="the name the server knows the model by (openai backend)")] = None,
            k: Annotated[int | None, typer.Option("--k", help="samples per problem; pass@1,2,4.. <= k "
                                                           "(default 1; 4 for the caption study)")] = None,
            limit: Annotated[int | None, typer.Option(help="first N problems only")] = None,
            style: Annotated[str | None, typer.Option(
                help="scoring style for every row: default | mathvista | mathvision (default: the row's "
                     "style column or metadata, else default)")] = None,
            sampling: Annotated[str | None, typer.Option(
                help="sampling preset: greedy (the paper's inference setting; default) | sampling | rollout "
                     "(default sampling for the caption study)")] = None,
            max_new_tokens: Annotated[int | None, typer.Option(help="override the preset's 2048")] = None,
            seed: Annotated[int, typer.Option(help="base seed; sample i uses seed + i")] = 0,
            compare: Annotated[tuple[str, str] | None, typer.Option(
                "--compare", help="two evals (ids, eval names, or model names) side by side")] = None,
            reasoner: Annotated[str | None, typer.Option(help="caption study: the text reasoner")] = None,
            captions: Annotated[tuple[str, str] | None, typer.Option(
                "--captions", help="caption study: two caption snapshots (two captioners, or original vs "
                                   "refined)")] = None,
            plot: Annotated[Path | None, typer.Option(help="caption study: where to write the PNG")] = None,
            list_evals_flag: Annotated[bool, typer.Option("--list", help="list recorded evals")] = False,
            results: Annotated[Path | None, typer.Option(help="also copy the per-row results parquet here")] = None,
            store: StoreOption = None,
            json_out: JsonOption = False) -> None:
        """Score MODEL on an eval snapshot (`--on`), compare two evals (`--compare A B`), or run the caption
        study (`eval captions --reasoner R --captions A B`)."""
        from curation.progress import progress_bar
        from curation.rows import StageFailed
        from curation.store import SnapshotNotFound
        from training.eval.artifact import list_evals
        from training.eval.captions import caption_study
        from training.eval.compare import compare_evals
        from training.eval.run import EvalError, run_eval
        from training.eval.score import StyleError

        st = open_store(store)
        try:
            if list_evals_flag:
                rows = list_evals(st)
                if json_out:
                    print_json(rows)
                else:
                    console.print(table("evals", ["id", "name", "model", "snapshot", "k", "style", "n", "accuracy %",
                                                  "95% CI"], [
                        [r["eval_id"], f"{r['name']}@v{r['version']}", r["model_ref"], r["snapshot_ref"], r["k"],
                         r["style"], r["n"], _pct(r["accuracy"]), _interval((r["ci_low"], r["ci_high"]))]
                        for r in rows]))
                return
            if compare:
                comparison = compare_evals(st, *compare)
                print_json(comparison.to_json()) if json_out else print_comparison(comparison)
                return
            if captions or model == "captions":
                reasoner = reasoner or (model if model != "captions" else None)
                if not reasoner or not captions:
                    fail("the caption study needs --reasoner MODEL and --captions SNAPSHOT_A SNAPSHOT_B")
                    return
                study = caption_study(st, reasoner, captions, backend=backend or "openai", base_url=base_url,
                                      model_name=model_name, k=k or 4, sampling=sampling or "sampling",
                                      limit=limit, max_new_tokens=max_new_tokens, style=style, seed=seed, plot=plot)
                print_json(study.to_json()) if json_out else print_study(study)
                return
            if not model or not on:
                fail("give MODEL and --on SNAPSHOT (or --compare A B, or `captions --reasoner R --captions A B`)")
                return
            result = run_eval(st, model, on, backend=backend or "transformers", base_url=base_url,
                              model_name=model_name, k=k or 1, limit=limit, sampling=sampling or "greedy",
                              max_new_tokens=max_new_tokens, style=style, seed=seed,
                              progress=None if json_out else progress_bar)
        except (SnapshotNotFound, EvalError, StyleError, LookupError, StageFailed, ValueError, OSError) as exc:
            fail(str(exc))
            return
        if results is not None:
            results.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(result.rows_path, results)
        print_json(result.to_json()) if json_out else print_eval(result)
