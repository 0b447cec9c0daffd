"""The dataset card (README.md): Hub YAML front matter, then lineage, funnel, mix, checks, review, figures.

Every number comes from the catalog or the snapshot files; the template only
lays them out (``data_cards/dataset_card.md.j2``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import yaml
from datasets import DatasetInfo, SplitDict, SplitInfo

from curation.checks.results import CheckResult, latest_result
from curation.filters.difficulty import dropped_pass_rates
from curation.filters.words import regex_word_count
from curation.publish import figures as fig
from curation.publish.layout import DATA_DIR, SPLIT, Layout
from curation.store import Snapshot, Store
from curation.store.funnel import funnel_rows
from curation.templates import render

KIND_SUMMARY = {
    "pool": "a pool of visual reasoning problems (image, question, answer) to generate reasoning traces for",
    "rollouts": "sampled reasoning traces (k per problem) before selection",
    "sft": "reasoning traces for supervised fine-tuning: one `<think>…</think>` trace and `<answer>` per problem",
    "grpo": "problems for GRPO reinforcement learning, with the policy's pass rate as a difficulty estimate",
}


@dataclass
class CardOptions:
    repo: str | None = None
    license: str = "other"
    forced: bool = False  # published despite failed or missing checks
    extra_tags: list[str] = field(default_factory=list)


def size_category(rows: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                         (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if rows < limit:
            return label
    return "n>10M"


def front_matter(snapshot: Snapshot, layout: Layout, options: CardOptions) -> dict[str, Any]:
    splits = SplitDict()
    splits.add(SplitInfo(name=SPLIT, num_bytes=layout.num_bytes, num_examples=layout.rows))
    info = DatasetInfo(features=layout.features, splits=splits, download_size=layout.download_size,
                       dataset_size=layout.num_bytes)
    return {
        "license": options.license,
        "task_categories": ["visual-question-answering", "image-text-to-text"],
        "language": ["en"],
        "tags": ["thinkset", "openvlthinker", "visual-reasoning", snapshot.info.kind, *options.extra_tags],
        "size_categories": [size_category(layout.rows)],
        "pretty_name": f"{snapshot.info.name} v{snapshot.info.version}",
        "configs": [{"config_name": "default", "data_files": [{"split": SPLIT, "path": f"{DATA_DIR}/{SPLIT}-*"}]}],
        "dataset_info": info._to_yaml_dict(),  # the same YAML `push_to_hub` writes
    }


def lineage(store: Store, snapshot: Snapshot) -> list[dict[str, Any]]:
    """Ancestor edges, root first, with the edge detail (recipe, model, backend, sampling) and stage configs."""
    rows = []
    for edge in reversed([e for e in store.lineage(snapshot.info.id) if e["direction"] == "ancestor"]):
        detail = [e["detail"] for e in store.catalog.edges_into([edge["dst_id"]]) if e["src_id"] == edge["src_id"]]
        child = store.find(edge["dst_id"])
        stages = []
        if child is not None:
            manifest = json.loads((child.path / "manifest.json").read_text())
            stages = (manifest.get("config") or {}).get("stages", []) if isinstance(manifest.get("config"), dict) \
                else []
        edge_detail = (detail[0] or {}) if detail else {}
        # generation stages record {stage: {model, backend, params}} in the generated_by edge
        generators = [f"{stage}: {d['model']} ({d.get('backend', '?')})" for stage, d in edge_detail.items()
                      if isinstance(d, dict) and d.get("model")]
        if edge_detail.get("model"):  # an edge written by hand or by a single-model tool
            backend = edge_detail.get("backend")
            generators.insert(0, f"{edge_detail['model']}" + (f" ({backend})" if backend else ""))
        rows.append({**edge, "src": f"{edge['src_name']}@v{edge['src_version']}", "generators": generators,
                     "dst": f"{edge['dst_name']}@v{edge['dst_version']}",
                     "detail": edge_detail,
                     "stages": [{"type": s.get("type"), "params": {k: v for k, v in s.items() if k != "type"}}
                                for s in stages]})
    return rows


def source_mix(frame: pl.LazyFrame) -> list[dict[str, Any]]:
    counts = frame.group_by("source").agg(pl.len().alias("rows")).sort("rows", descending=True).collect()
    total = max(int(counts["rows"].sum()), 1)
    return [{"source": s, "rows": r, "share": r / total} for s, r in counts.iter_rows()]


def review_summary(store: Store, snapshot_ids: list[str]) -> list[dict[str, Any]]:
    """Reviewer decisions on this snapshot or its ancestors, when the review tables exist."""
    return store.catalog.review_summary(snapshot_ids)


def _word_counts(frame: pl.LazyFrame) -> pl.Series:
    return frame.select(regex_word_count(pl.col("response")).alias("words")).collect()["words"]


def draw_figures(store: Store, snapshot: Snapshot, out_dir: Path, funnel: list[dict[str, Any]],
                 mix: list[dict[str, Any]], check: CheckResult | None) -> list[fig.Figure]:
    figures: list[fig.Figure | None] = [fig.funnel_figure(out_dir, funnel), fig.source_mix_figure(out_dir, mix)]
    frame = snapshot.scan()
    columns = frame.collect_schema().names()
    if "response" in columns:
        before, label = None, ""
        # the earliest ancestor with responses is what the filters started from (the raw rollouts)
        for edge in reversed([e for e in store.lineage(snapshot.info.id) if e["direction"] == "ancestor"]):
            parent = store.find(edge["src_id"])
            if parent is not None and parent.kind in ("rollouts", "sft"):
                before, label = _word_counts(Snapshot(parent).scan()), parent.ref
                break
        max_words = check.config.get("max_words") if check else None
        figures.append(fig.word_count_figure(out_dir, before, _word_counts(frame), label, max_words))
    if "pass_rate" in columns:
        # before selection: the kept problems plus those the difficulty stage left out (its rejections)
        dropped = dropped_pass_rates(snapshot.rejections())
        figures.append(fig.pass_rate_figure(out_dir, frame.select("pass_rate").collect()["pass_rate"],
                                            dropped if len(dropped) else None))
    return [f for f in figures if f is not None]


def render_card(store: Store, snapshot: Snapshot, layout: Layout, options: CardOptions) -> Path:
    """Draw the figures and write ``README.md`` into the layout folder; returns its path."""

    funnel = funnel_rows(store, snapshot.info.id)
    mix = source_mix(snapshot.scan())
    check = latest_result(store, snapshot.info.id)
    ancestry = lineage(store, snapshot)
    figures = draw_figures(store, snapshot, layout.root, funnel, mix, check)
    layout.extra_files += [layout.root / f.file for f in figures]
    reviews = review_summary(store, [snapshot.info.id, *{e["src_id"] for e in ancestry}])
    text = render("dataset_card.md.j2",
                  front_matter=yaml.safe_dump(front_matter(snapshot, layout, options), sort_keys=False).strip(),
                  info=snapshot.info, summary=KIND_SUMMARY.get(snapshot.info.kind, snapshot.info.kind),
                  manifest=snapshot.manifest, options=options, lineage=ancestry, funnel=funnel, mix=mix,
                  check=check, reviews=reviews, figures=figures, layout=layout,
                  repo=options.repo or f"<org>/{snapshot.info.name}")
    path = layout.root / "README.md"
    path.write_text(text)
    layout.extra_files.append(path)
    return path
