"""Hypothesis fuzzing of the parsers that read untrusted text: the grader, the reflection and format parsers,
the ingest readers (JSON Lines and images) and the recipe loader.

A case is *handled* when the call returns, or raises the one clear error its caller turns into a message
(``RecipeError`` for a recipe, ``StageFailed`` for a source that cannot be read, ``RowError`` for an image that
is quarantined). Anything else is *unhandled*. The time of every call is measured; the per-call budget is
asserted by benchmarks/reliability_report.py, never by a test (the machine is shared).

    fuzz_parsers(n_cases=200, seed=0) -> {"fuzz_cases", "unhandled", "over_budget", "max_call_s", "per_target"}

Each target has a per-call ``budget_s``; ``over_budget`` counts calls that took longer (a shared machine makes
single slow calls possible, so a benchmark should look at it next to ``max_call_s``).
"""

from __future__ import annotations

import atexit
import io
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

PIECES = ["<think>", "</think>", "<answer>", "</answer>", "\\boxed{", "}", "Wait,", "But wait,", "But the question",
          "the answer is", " 4", "3/4", "\\frac{1}{2}", "(B)", "B", "\n", "\"Wait, ", "é", "\x00", "\u202e", "$", "\\",
          "{", "[", "1e309", "nan", "∞", "^", "sqrt(2)", "x=", "%"]
tricky_text = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=30).map("".join)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                        tricky_text)
json_value = st.recursive(json_scalar, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                                st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                          max_leaves=8)
FIELDS = ["problem", "answer", "question", "images", "image", "choices", "source", "messages", "conversations"]
row_value = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), json_value, max_size=6)


@dataclass
class Target:
    name: str
    strategy: st.SearchStrategy
    call: Callable[[Any], Any]
    allowed: tuple[type[BaseException], ...] = ()
    warmup: Any = None  # one call before timing starts: imports and caches are not the parser's cost
    budget_s: float = 1.0  # the most one call may take (asserted by the benchmark, never by a test)


def _grade(case: tuple[str, str, list[str]]) -> Any:
    from curation.verify import grade

    response, gold, choices = case
    return grade(response, gold, choices=choices or None)


def _reflection(text: str) -> Any:
    from curation.filters.reflection import DEFAULT_MARKERS, Cutter

    return Cutter(DEFAULT_MARKERS, case_sensitive=False).cut(text)


def _format(text: str) -> Any:
    import polars as pl

    from curation.verify.trace_format import check, issue_expr

    python = check(text)
    vectorized = pl.DataFrame({"t": [text]}, schema={"t": pl.Utf8}).select(issue_expr(pl.col("t")))
    return python, vectorized


_WORKDIR = Path(tempfile.mkdtemp(prefix="thinkset-fuzz-"))
atexit.register(shutil.rmtree, _WORKDIR, ignore_errors=True)


def _jsonl_lines(lines: list[Any]) -> bytes:
    out = []
    for line in lines:
        out.append(line if isinstance(line, bytes) else json.dumps(line, allow_nan=True).encode())
    return b"\n".join(out) + b"\n"


GOOD_ROW = {"problem": "<image>Q?", "answer": "1", "images": ["img.png"]}


def _ingest_jsonl(lines: list[Any]) -> Any:
    """Every line is read or quarantined, and no good row is lost (an AssertionError counts as unhandled)."""
    from curation.schema import PoolRecord
    from curation.sources.layouts import iter_records

    folder = Path(tempfile.mkdtemp(dir=_WORKDIR))
    try:
        (folder / "img.png").write_bytes(_PNG)
        (folder / "train.jsonl").write_bytes(_jsonl_lines(lines))
        items = list(iter_records(str(folder)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    good = sum(line == GOOD_ROW for line in lines)
    kept = sum(isinstance(i, PoolRecord) and i.problem == "Q?" and i.answer == "1" for i in items)
    assert kept >= good, f"{good} good rows in, {kept} out"
    assert len(items) == sum(1 for line in _jsonl_lines(lines).split(b"\n") if line.strip()), "a line vanished"
    return items


def _image(data: bytes) -> Any:
    from curation.filters.image import ImageParams, inspect_image
    from curation.sources.images import image_bytes

    path = _WORKDIR / "fuzzed-image"
    path.write_bytes(data)
    try:
        image_bytes(data, None)
    finally:
        inspect = inspect_image(str(path), ImageParams())
    return inspect


def _recipe(text: str) -> Any:
    from curation.recipe import load_recipe
    from curation.safe_paths import SNAPSHOT_NAME

    path = _WORKDIR / "fuzzed-recipe.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    recipe = load_recipe(path)
    for name in [recipe.output, *(s.output for s in recipe.stages if s.output)]:
        assert SNAPSHOT_NAME.match(name) and ".." not in name, f"unsafe snapshot name accepted: {name!r}"
    return recipe


def _image_bytes(fmt: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (12, 9), (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


_SEEDS = {fmt: _image_bytes(fmt) for fmt in ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP", "PPM", "ICO")}
_PNG = _SEEDS["PNG"]
STAGE_TYPES = ["ingest", "length", "reflection", "format", "correctness", "image", "select", "dedup", "caption",
               "reason", "nope"]
stage_value = st.dictionaries(st.sampled_from(["type", "name", "output", "max_words", "path", "markers", "mode",
                                               "prompt_template", "strategy"]) | st.text(max_size=5),
                              st.sampled_from(STAGE_TYPES) | json_value, max_size=4)
recipe_value = st.fixed_dictionaries({}, optional={
    "name": json_value, "output": st.sampled_from(["ok", "../escape", "/abs", "a/b", "x@v1", ""]) | json_value,
    "input": json_value, "seed": json_value, "batch_rows": json_value, "options": json_value,
    "stages": st.lists(stage_value, max_size=3) | json_value})


def _yaml_text(value: Any) -> str:
    import yaml

    return yaml.safe_dump(value, allow_unicode=True)


def _mutated_image(fmt: str, edits: list[tuple[int, int]], cut: int) -> bytes:
    data = bytearray(_SEEDS[fmt])
    for offset, byte in edits:
        data[offset % len(data)] = byte
    return bytes(data[: max(cut, 0)] if cut < len(data) else data)


def targets() -> list[Target]:
    from curation.recipe import RecipeError
    from curation.rows import StageFailed
    from curation.sources.images import RowError

    recipe_text = st.one_of(
        st.builds(_yaml_text, recipe_value),
        tricky_text,
        st.sampled_from(["!!python/object/apply:os.system ['echo pwned']\n", "a: &a [*a]\n", "- [\n",
                         "name: x\noutput: y\nstages: [{type: length, max_words: .inf}]\n",
                         "name: x\noutput: ../../etc\nstages: [{type: synthetic_pool}]\n",
                         "a: !!binary AAAA\n", "\ufeffname: bom\n", "key: \x00\n", "[" * 5000 + "]" * 5000,
                         "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                         "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                         "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nname: x\noutput: y\nstages: [*e]\n"]))
    jsonl_line = st.one_of(row_value, json_value, st.binary(max_size=40), st.just(b"[" * 100_000),
                           st.just({"problem": "<image>Q?", "answer": "1", "images": ["img.png"]}))
    return [
        # grade bounds each math-verify call (PER_CALL_SECONDS); the budget leaves room for one such call
        Target("verify.grade", st.tuples(tricky_text, tricky_text, st.lists(tricky_text, max_size=4)), _grade,
               warmup=("<answer>\\frac{1}{2}</answer>", "0.5", []), budget_s=5.0),
        Target("reflection", tricky_text, _reflection, warmup="<think>4. Wait, 4.</think><answer>4</answer>",
               budget_s=0.5),
        Target("format", tricky_text, _format, warmup="<think>4</think><answer>4</answer>", budget_s=0.5),
        Target("ingest.jsonl", st.lists(jsonl_line, min_size=1, max_size=6), _ingest_jsonl, (StageFailed,),
               warmup=[GOOD_ROW], budget_s=2.0),
        Target("ingest.image", st.builds(_mutated_image, st.sampled_from(sorted(_SEEDS)), st.lists(st.tuples(st.integers(0, 10_000),
                                                                          st.integers(0, 255)), max_size=6),
                                         st.integers(0, 400)), _image, (RowError,), warmup=_PNG, budget_s=1.0),
        Target("recipe", recipe_text, _recipe, (RecipeError,),
               warmup="name: w\noutput: w\nstages: [{type: synthetic_pool}]\n", budget_s=1.0),
    ]


def fuzz_target(target: Target, n_cases: int, seed: int = 0) -> dict[str, Any]:
    """Run ``target`` on ``n_cases`` generated inputs; never stops at a failure, counts them instead."""
    result: dict[str, Any] = {"cases": 0, "unhandled": 0, "max_call_s": 0.0, "budget_s": target.budget_s,
                              "over_budget": 0, "examples": []}
    if target.warmup is not None:
        try:
            target.call(target.warmup)
        except target.allowed:
            pass

    @hypothesis_seed(seed)
    @settings(max_examples=n_cases, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(target.strategy)
    def run(case: Any) -> None:
        started = time.perf_counter()
        try:
            target.call(case)
        except target.allowed:
            pass
        except Exception as exc:  # the fuzz counts exactly what must never escape
            result["unhandled"] += 1
            if len(result["examples"]) < 5:
                result["examples"].append(f"{type(exc).__name__}: {str(exc)[:200]} <- {case!r:.300}")
        finally:
            elapsed = time.perf_counter() - started
            result["max_call_s"] = max(result["max_call_s"], elapsed)
            result["over_budget"] += elapsed > target.budget_s
            result["cases"] += 1

    run()
    return result


def fuzz_parsers(n_cases: int, seed: int = 0, only: list[str] | None = None) -> dict[str, Any]:
    """Fuzz every parser target (or the names in ``only``) with ``n_cases`` each; totals and per-target figures."""
    per_target = {t.name: fuzz_target(t, n_cases, seed) for t in targets() if only is None or t.name in only}
    return {"fuzz_cases": sum(r["cases"] for r in per_target.values()),
            "unhandled": sum(r["unhandled"] for r in per_target.values()),
            "over_budget": sum(r["over_budget"] for r in per_target.values()),
            "max_call_s": max((r["max_call_s"] for r in per_target.values()), default=0.0),
            "per_target": per_target}
