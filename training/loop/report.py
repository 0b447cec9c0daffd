"""`thinkset report LOOP`: Markdown + PNG of a loop, the thing to paste into a paper or a model card.

Per iteration: data sizes and funnels, the pass-rate distribution before and after difficulty
selection, the source mix, and each model's eval accuracy with its 95% interval; one plot of
accuracy across iterations (the base model is iteration 0, then an SFT and a GRPO point per
iteration) and one of the pass rates.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from curation.store import Store  # noqa: E402
from training.loop.card import annotate_model_cards  # noqa: E402
from training.loop.summary import EvalPoint, IterationSummary, LoopSummary, summarize  # noqa: E402

COLORS = {"base": "#555555", "sft": "#1f77b4", "grpo": "#d62728"}
OFFSETS = {"base": 0.0, "sft": -0.06, "grpo": 0.06}


def default_report_dir(store: Store, loop: str) -> Path:
    return store.root / "loops" / loop / "report"


def accuracy_figure(summary: LoopSummary, path: Path) -> Path:
    """Accuracy (with 95% intervals) per iteration: base at 0, SFT and GRPO points per iteration."""
    fig, ax = plt.subplots(figsize=(7, 4))
    base = [p for p in summary.evals if p.model == "base"]
    for model in ("sft", "grpo"):
        points = sorted([p for p in summary.evals if p.model == model], key=lambda p: p.iteration)
        line = base + points if base else points
        if not points:
            continue
        xs = [p.iteration + OFFSETS[p.model] for p in line]
        ys = [p.accuracy for p in line]
        errors = [[p.accuracy - p.ci95[0] for p in line], [p.ci95[1] - p.accuracy for p in line]]
        ax.errorbar(xs, ys, yerr=errors, marker="o", capsize=4, color=COLORS[model], label=model.upper())
    if base:
        ax.errorbar([0], [base[0].accuracy], yerr=[[base[0].accuracy - base[0].ci95[0]],
                                                   [base[0].ci95[1] - base[0].accuracy]],
                    marker="s", markersize=8, capsize=4, color=COLORS["base"], label="base", linestyle="none")
    iterations = sorted({p.iteration for p in summary.evals})
    ax.set_xticks(iterations, [("base" if i == 0 else f"iter {i}") for i in iterations])
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("iteration")
    n = max((p.n for p in summary.evals), default=0)
    ax.set_ylabel(f"accuracy on the eval split (n={n})")
    ax.set_title(f"loop {summary.name}: accuracy across iterations (95% Wilson intervals)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def pass_rate_figure(summary: LoopSummary, path: Path) -> Path:
    """Per iteration: pass rates of every rolled-out problem, and of the problems selected for GRPO."""
    count = max(len(summary.iterations), 1)
    fig, axes = plt.subplots(1, count, figsize=(3.6 * count, 3.2), squeeze=False)
    bins = [i / 10 for i in range(11)]
    for ax, item in zip(axes[0], summary.iterations, strict=False):
        ax.hist(item.pass_rate_before, bins=bins, color="#999999", alpha=0.6,
                label=f"rolled out ({len(item.pass_rate_before)})")
        ax.hist(item.pass_rate_after, bins=bins, histtype="step", linewidth=2, color=COLORS["grpo"],
                label=f"selected ({len(item.pass_rate_after)})")
        ax.set_title(f"iteration {item.iteration}")
        ax.set_xlabel("pass rate of the SFT model")
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel("problems")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _eval_row(point: EvalPoint) -> str:
    sources = ", ".join(f"{k} {v:.2f}" for k, v in sorted(point.by_source.items()))
    label = "base" if point.model == "base" else f"{point.model.upper()}-iter{point.iteration}"
    return (f"| {label} | {point.accuracy:.3f} | [{point.ci95[0]:.3f}, {point.ci95[1]:.3f}] | {point.n} "
            f"| {sources} |")


def _histogram(values: list[float]) -> str:
    if not values:
        return "none"
    counts: dict[float, int] = {}
    for value in values:
        counts[round(value, 2)] = counts.get(round(value, 2), 0) + 1
    return ", ".join(f"{rate:.2f}: {n}" for rate, n in sorted(counts.items()))


def _iteration_section(item: IterationSummary) -> list[str]:
    lines = [f"## Iteration {item.iteration}", ""]
    lines += ["| artifact | kind | rows |", "|---|---|---|"]
    for info in [*item.sft_rollouts, item.sft, item.grpo_rollouts, item.grpo]:
        if info is not None:
            lines.append(f"| `{info.ref}` | {info.kind} | {info.rows} |")
    for mode, model in item.models.items():
        lines.append(f"| `{model['name']}@v{model['version']}` | {mode} model | |")
    if item.sft_detail.get("fallback"):
        lines += ["", f"SFT data fell back to the captioner + reasoner: {item.sft_detail.get('why')}."]
    lines += ["", "Funnels (rows in -> out per stage, with drop reasons):", ""]
    for ref, rows in item.funnels.items():
        lines += [f"`{ref}`:", "", "| stage | in | out | reasons |", "|---|---|---|---|"]
        lines += [f"| {r['stage']} | {r['rows_in']} | {r['rows_out']} | {r['reasons']} |" for r in rows]
        lines.append("")
    lines += ["Pass rate of the SFT model per problem (rate: problems):", "",
              f"- before selection: {_histogram(item.pass_rate_before)}",
              f"- after selection: {_histogram(item.pass_rate_after)}", "", "Source mix (rows):", ""]
    for kind, mix in item.source_mix.items():
        lines.append(f"- {kind}: " + ", ".join(f"{source} {n}" for source, n in mix.items()))
    return [*lines, ""]


def render_markdown(summary: LoopSummary, accuracy_png: str, pass_rate_png: str) -> str:
    lines = [f"# Loop `{summary.name}`", "",
             f"Base model `{summary.base_model}`; {len(summary.iterations)} iteration(s); "
             f"{summary.wall_seconds} s of recorded step time.", "",
             f"![accuracy across iterations]({accuracy_png})", "",
             "| model | accuracy | 95% interval | n | per source |", "|---|---|---|---|---|"]
    lines += [_eval_row(p) for p in summary.evals]
    lines += ["", f"![pass rates before and after selection]({pass_rate_png})", ""]
    for item in summary.iterations:
        lines += _iteration_section(item)
    lines += ["## Steps", "", "| iteration | step | artifact | seconds |", "|---|---|---|---|"]
    lines += [f"| {s['iteration']} | {s['step']} | `{s['artifact_ref']}` | "
              f"{'' if s['seconds'] is None else round(s['seconds'], 1)} |" for s in summary.steps]
    return "\n".join(lines) + "\n"


def write_report(store: Store, loop: str, out_dir: str | Path | None = None) -> tuple[Path, LoopSummary]:
    """Write ``report.md``, ``accuracy.png`` and ``pass_rate.png`` for ``loop`` and refresh the model cards of
    its models (data snapshots, eval results); returns the Markdown path and the summary."""
    summary = summarize(store, loop)
    out = Path(out_dir) if out_dir is not None else default_report_dir(store, loop)
    out.mkdir(parents=True, exist_ok=True)
    accuracy_figure(summary, out / "accuracy.png")
    pass_rate_figure(summary, out / "pass_rate.png")
    path = out / "report.md"
    path.write_text(render_markdown(summary, "accuracy.png", "pass_rate.png"))
    annotate_model_cards(store, summary, path)
    return path, summary


def summary_lines(summary: LoopSummary) -> list[str]:
    """A few lines for the terminal: sizes and accuracy per iteration."""
    lines = []
    base = next((p for p in summary.evals if p.model == "base"), None)
    if base:
        lines.append(f"iteration 0 (base): accuracy {base.accuracy:.3f} [{base.ci95[0]:.3f}, {base.ci95[1]:.3f}]")
    for item in summary.iterations:
        accuracy = {p.model: p for p in summary.evals if p.iteration == item.iteration}
        scores = ", ".join(f"{m} {p.accuracy:.3f} [{p.ci95[0]:.3f}, {p.ci95[1]:.3f}]" for m, p in accuracy.items())
        lines.append(f"iteration {item.iteration}: sft {item.sft.rows if item.sft else '-'} rows, grpo "
                     f"{item.grpo.rows if item.grpo else '-'} problems; accuracy {scores or '-'}")
    return lines
