"""The embedded synthetic pool: PIL-drawn problems whose gold answers are known by construction.

Four families mirror the paper's sources: bar/line charts (FigureQA, ChartQA), triangles
(Geometry3K, GEOS), counting scenes (CLEVR, SuperCLEVR) and small tables (TabMWP). Each
problem keeps the drawing parameters, so its answer can be re-derived and checked::

    for p in generate_problems(1000, seed=0):
        assert derive_answer(p.source, p.params) == p.answer

Problem ``i`` of a seed depends only on (seed, i): the first n problems of a larger pool are
the same as a pool of n, and the same seed always gives the same bytes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from curation.schema import PoolRecord
from curation.sources import synthetic_chart, synthetic_counting, synthetic_geometry, synthetic_table
from curation.sources.synthetic_draw import png_bytes

FAMILIES: dict[str, ModuleType] = {
    module.SOURCE: module
    for module in (synthetic_chart, synthetic_geometry, synthetic_counting, synthetic_table)
}
SOURCES = tuple(FAMILIES)


@dataclass(frozen=True)
class SyntheticProblem:
    """One drawn problem. For multiple choice, ``answer`` is the option letter and ``problem`` lists the options."""

    source: str
    problem: str
    answer: str
    choices: list[str]
    image_png: bytes
    params: dict[str, Any] = field(repr=False)
    caption: str = ""


def make_problem(index: int, seed: int = 0) -> SyntheticProblem:
    """Problem ``index`` of the pool drawn with ``seed``; families take turns so the mix is even."""
    source = SOURCES[index % len(SOURCES)]
    family = FAMILIES[source]
    # A string seed is hashed with SHA-512 by `random`, so it is stable across processes and Python runs.
    rng = random.Random(f"thinkset-synthetic:{seed}:{index}")
    params = family.sample(rng)
    text, choices = family.question(params)
    return SyntheticProblem(
        source=source,
        problem=text,
        answer=family.answer(params),
        choices=choices,
        image_png=png_bytes(family.render(params)),
        params=params,
        caption=family.caption(params),
    )


def generate_problems(n: int, seed: int = 0) -> Iterator[SyntheticProblem]:
    """Yield ``n`` problems, deterministic in ``seed``, lazily (one image in memory at a time)."""
    for index in range(n):
        yield make_problem(index, seed)


def derive_answer(source: str, params: dict[str, Any]) -> str:
    """Recompute the gold answer of a problem from its drawing parameters."""
    if source not in FAMILIES:
        raise ValueError(f"unknown synthetic source {source!r}; known: {', '.join(SOURCES)}")
    return FAMILIES[source].answer(params)


def to_pool_record(problem: SyntheticProblem) -> PoolRecord:
    """The pool form of a problem; drawing params and caption travel in the metadata."""
    return PoolRecord(
        source=problem.source,
        problem=problem.problem,
        answer=problem.answer,
        choices=list(problem.choices),
        images=[problem.image_png],
        metadata={"params": problem.params, "caption": problem.caption},
    )
