"""PNG figures of a dataset card, drawn with matplotlib (Agg: no display needed) from stored numbers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import polars as pl  # noqa: E402

FIGURES_DIR = "figures"


@dataclass
class Figure:
    file: str  # relative to the card folder, e.g. figures/funnel.png
    title: str
    caption: str


def _save(fig: Any, out_dir: Path, name: str) -> str:
    (out_dir / FIGURES_DIR).mkdir(parents=True, exist_ok=True)
    relative = f"{FIGURES_DIR}/{name}.png"
    fig.tight_layout()
    fig.savefig(out_dir / relative, dpi=110)
    plt.close(fig)
    return relative


def word_count_figure(out_dir: Path, before: pl.Series | None, after: pl.Series, before_label: str,
                      max_words: int | None) -> Figure:
    fig, ax = plt.subplots(figsize=(7, 3.6))
    upper = max(int(after.max() or 1), int(before.max() or 1) if before is not None and len(before) else 1)
    bins = list(range(0, upper + max(upper // 40, 1) + 1, max(upper // 40, 1)))
    ax.hist(after.to_list(), bins=bins, alpha=0.75, label=f"after: this snapshot ({len(after)})", color="#1f77b4")
    if before is not None and len(before):
        # an outline on top, so the rows both versions share stay visible
        ax.hist(before.to_list(), bins=bins, histtype="step", linewidth=1.6, color="#333333",
                label=f"before: {before_label} ({len(before)})")
    if max_words:
        ax.axvline(max_words, color="#d62728", linestyle="--", label=f"max_words = {max_words}")
    ax.set_xlabel("words per response (whitespace split)")
    ax.set_ylabel("rows")
    ax.legend(fontsize=8)
    caption = (f"median {int(after.median() or 0)} words after filtering"
               + (f", {int(before.median() or 0)} before" if before is not None and len(before) else ""))
    return Figure(_save(fig, out_dir, "word_count"), "Response length before and after filtering", caption)


def funnel_figure(out_dir: Path, funnel: list[dict[str, Any]]) -> Figure | None:
    if not funnel:
        return None
    labels = ["input"] + [f"{r['stage']}\n({r['snapshot']})" for r in funnel]
    values = [funnel[0]["rows_in"]] + [r["rows_out"] for r in funnel]
    fig, ax = plt.subplots(figsize=(max(5.0, 1.2 * len(labels)), 3.6))
    bars = ax.bar(range(len(values)), values, color=["#999999"] + ["#1f77b4"] * len(funnel))
    ax.bar_label(bars, fontsize=8)
    ax.set_xticks(range(len(values)), labels, fontsize=7)
    ax.set_ylabel("rows")
    kept = values[-1] / values[0] if values[0] else 0
    return Figure(_save(fig, out_dir, "funnel"), "Funnel", f"{values[-1]} of {values[0]} rows kept ({kept:.1%})")


def source_mix_figure(out_dir: Path, mix: list[dict[str, Any]]) -> Figure | None:
    if not mix:
        return None
    fig, ax = plt.subplots(figsize=(6, 0.5 * len(mix) + 1.2))
    names = [m["source"] for m in mix][::-1]
    bars = ax.barh(names, [m["rows"] for m in mix][::-1], color="#2ca02c")
    ax.bar_label(bars, labels=[f"{m['rows']} ({m['share']:.1%})" for m in mix][::-1], fontsize=8)
    ax.set_xlabel("rows")
    ax.margins(x=0.25)
    return Figure(_save(fig, out_dir, "source_mix"), "Source mix", f"{len(mix)} sources")


def pass_rate_figure(out_dir: Path, pass_rate: pl.Series, dropped: pl.Series | None = None) -> Figure | None:
    """Histogram of the kept problems' pass rates; with ``dropped`` (the problems the difficulty selection
    left out) an outline shows the distribution before selection."""
    values = pass_rate.drop_nulls()
    if not len(values):
        return None
    fig, ax = plt.subplots(figsize=(6, 3.4))
    bins = [i / 20 for i in range(21)]
    ax.hist(values.to_list(), bins=bins, color="#9467bd", alpha=0.8, label=f"selected ({len(values)})")
    caption = f"mean {values.mean():.2f}, {len(values)} problems with a pass rate"
    if dropped is not None and len(dropped.drop_nulls()):
        before = pl.concat([values, dropped.drop_nulls().cast(values.dtype)])
        ax.hist(before.to_list(), bins=bins, histtype="step", linewidth=1.6, color="#333333",
                label=f"before selection ({len(before)})")
        ax.legend(fontsize=8)
        caption += f"; {len(before)} before selection (mean {before.mean():.2f})"
    ax.set_xlabel("pass rate of the policy's k rollouts")
    ax.set_ylabel("problems")
    return Figure(_save(fig, out_dir, "pass_rate"), "Difficulty (pass rate)", caption)
