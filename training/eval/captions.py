"""The caption study (the paper's Figure 7): the same text reasoner answers from two sets of captions
(two captioners, or original vs refined captions); pass@1/2/4 per source side by side.

Each side is an ordinary eval in text mode (caption + question, the reason
stage's ``reason_text`` prompt) on a snapshot with a ``caption`` column, as
the caption stage writes it; both are recorded as eval artifacts, so a re-run
only draws the plot again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curation.store import Store
from training.eval.result import EvalResult
from training.eval.run import run_eval
from training.eval.stats import pass_at_k_values


@dataclass
class CaptionStudy:
    reasoner: str
    evals: tuple[EvalResult, EvalResult]
    k: int
    plot_path: Path | None = None

    @property
    def labels(self) -> tuple[str, str]:
        return self.evals[0].snapshot, self.evals[1].snapshot

    def table(self) -> list[dict[str, Any]]:
        """One row per source (then ``overall``): pass@j of each caption set."""
        first, second = self.evals
        groups = [(s, first.by_source[s], second.by_source[s])
                  for s in sorted(set(first.by_source) & set(second.by_source))]
        groups.append(("overall", first.overall, second.overall))
        return [{"source": name, "n": a.n,
                 **{f"pass@{j} {label}": side.pass_at_k[j] for j in pass_at_k_values(self.k)
                    for label, side in zip(self.labels, (a, b), strict=True)}} for name, a, b in groups]

    def to_json(self) -> dict[str, Any]:
        return {"reasoner": self.reasoner, "k": self.k, "captions": list(self.labels),
                "evals": [e.artifact_id for e in self.evals], "table": self.table(),
                "plot": str(self.plot_path) if self.plot_path else None}


def plot_study(study: CaptionStudy, path: Path) -> Path:
    """Grouped bars: one panel per pass@j, sources on the x axis, one bar per caption set."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = study.table()
    ks = pass_at_k_values(study.k)
    fig, axes = plt.subplots(1, len(ks), figsize=(4.2 * len(ks), 3.8), sharey=True, squeeze=False)
    positions = range(len(rows))
    for ax, j in zip(axes[0], ks, strict=True):
        for offset, (label, color) in enumerate(zip(study.labels, ("#1f77b4", "#ff7f0e"), strict=True)):
            ax.bar([p + (offset - 0.5) * 0.38 for p in positions], [row[f"pass@{j} {label}"] for row in rows],
                   width=0.38, label=label, color=color)
        ax.set_title(f"pass@{j}")
        ax.set_xticks(list(positions), [row["source"] for row in rows], rotation=30, ha="right", fontsize=8)
        ax.set_ylim(0, 1)
    axes[0][0].set_ylabel(f"accuracy ({study.reasoner})")
    axes[0][0].legend(fontsize=8, title="captions", loc="upper left")  # pass@1 bars are the lowest
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def caption_study(store: Store, reasoner: str, captions: tuple[str, str], *, backend: str = "openai",
                  base_url: str | None = None, model_name: str | None = None, k: int = 4,
                  sampling: str = "sampling", limit: int | None = None, max_new_tokens: int | None = None,
                  style: str | None = None, seed: int = 0, plot: Path | None = None) -> CaptionStudy:
    """Score ``reasoner`` (text mode, ``k`` samples) on both caption snapshots; draw the plot to ``plot``
    (default ``<store>/reports/caption-study-A-vs-B.png``)."""
    if len(captions) != 2:
        raise ValueError(f"the caption study compares two caption snapshots, got {len(captions)}")
    evals = tuple(run_eval(store, reasoner, ref, backend=backend, base_url=base_url, model_name=model_name, k=k,
                           limit=limit, sampling=sampling, max_new_tokens=max_new_tokens, style=style, seed=seed,
                           mode="text") for ref in captions)
    study = CaptionStudy(reasoner=reasoner, evals=(evals[0], evals[1]), k=k)
    slug = "-vs-".join(ref.replace("@", "-") for ref in study.labels)
    study.plot_path = plot_study(study, plot or store.root / "reports" / f"caption-study-{slug}.png")
    return study
