"""A snapshot's id changes when the code that made it changes; an unchanged re-run is a no-op; generation
caches survive code changes that do not touch the request."""

from __future__ import annotations

import importlib.util
import sys
import textwrap

import pytest

from curation.filters.correctness import CorrectnessFilter as Correctness
from curation.pipeline import run_recipe
from curation.recipe import recipe_from_dict
from curation.stages import code_identity as identity
from curation.stages.code_identity import code_identity, code_modules
from curation.stages.reason import ReasonStage as Reason
from curation.stages.registry import STAGES
from curation.stages.sample import SampleStage
from tests.conftest import rollouts_frame
from tests.generate import conftest as generate_fixtures

chat_server = generate_fixtures.chat_server  # the local OpenAI-compatible server, one per test

FILTER_SOURCE = '''
import polars as pl

from curation.rows import decide
from curation.stages.base import Stage, StageParams
from curation.stages.registry import register_stage


@register_stage
class EditedFilter(Stage):
    type = "test_edited_filter"
    Params = StageParams

    def process_batch(self, batch: pl.DataFrame) -> pl.DataFrame:
        return batch.with_columns(decide(pl.col("sample_index") < {limit}, "over_limit"))
'''


@pytest.fixture
def edited_filter(tmp_path, monkeypatch):
    """Write (and rewrite) a stage module outside the package, as a user's edit of a filter would."""
    name, path = "thinkset_test_edited_filter", tmp_path / "thinkset_test_edited_filter.py"
    monkeypatch.setitem(STAGES, "test_edited_filter", None)  # restored (removed) after the test
    monkeypatch.setitem(sys.modules, name, None)

    def write(limit: int, note: str = "") -> None:
        path.write_text(textwrap.dedent(FILTER_SOURCE).replace("{limit}", str(limit)) + note)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)

    return write


def rollouts(store):
    with store.writer("rollouts-code", "rollouts", config={"rows": 6}) as writer:
        writer.write(rollouts_frame([f"<think>step {i}</think><answer>4</answer>" for i in range(6)]))
    return writer.committed


def test_editing_a_filter_makes_a_new_version_and_an_unchanged_rerun_is_a_noop(store, edited_filter):
    parent = rollouts(store)
    spec = {"name": "code", "input": parent.ref, "output": "sft-code", "stages": [{"type": "test_edited_filter"}]}
    edited_filter(limit=2)
    first = run_recipe(recipe_from_dict(spec), store)
    assert first.snapshots and store.open(first.final.id).info.rows == 2
    again = run_recipe(recipe_from_dict(spec), store)
    assert not again.snapshots and again.final.id == first.final.id, "same code, same input: a no-op"

    edited_filter(limit=3)  # the filter's logic changes; its params and the recipe do not
    edited = run_recipe(recipe_from_dict(spec), store)
    assert edited.snapshots, "changed code must not be reported as up to date"
    assert edited.final.id != first.final.id and edited.final.version == 2
    assert store.open(edited.final.id).info.rows == 3
    code = store.open(edited.final.id).manifest["code"]
    assert code == {"stages": [code_identity(STAGES["test_edited_filter"])]}


def _edit(monkeypatch, suffix: str) -> None:
    """Pretend the source of the module at ``suffix`` changed (its digest is the hash input)."""
    read = identity._read

    def edited(path: str, mtime_ns: int, size: int):
        digest, imports = read(path, mtime_ns, size)
        return (digest + "-edited" if path.endswith(suffix) else digest), imports

    monkeypatch.setattr(identity, "_read", edited)


def test_a_grader_change_reaches_the_filters_that_import_it(monkeypatch):
    before = {cls: code_identity(cls) for cls in (Correctness, SampleStage, Reason)}
    assert code_identity(Correctness) == before[Correctness], "the identity is stable"
    assert "curation.verify.normalize" in code_modules(Correctness)
    assert not {"curation.stages.base", "curation.stages.registry", "curation.rows"} & set(code_modules(Correctness))
    _edit(monkeypatch, "curation/verify/normalize.py")
    assert code_identity(Correctness) != before[Correctness]
    # sample imports nothing of the grader's; reason does, through the prompts' trace-format instruction (as
    # length does through trace_format's THINK_PART), so its id follows the edit too
    assert code_identity(SampleStage) == before[SampleStage]
    assert "curation.verify.trace_format" in code_modules(Reason)
    assert code_identity(Reason) != before[Reason]


def test_framework_and_cli_changes_keep_every_id(monkeypatch):
    before = code_identity(Correctness)
    for suffix in ("curation/stages/base.py", "curation/stages/registry.py", "curation/cli.py",
                   "curation/store/writer.py"):
        _edit(monkeypatch, suffix)
    assert code_identity(Correctness) == before


def test_a_code_change_reruns_generation_from_the_cache(store, make_pool, chat_server, monkeypatch):
    pool = make_pool(4)
    spec = {"name": "gen-code", "input": pool.ref, "output": "rollouts-code",
            "stages": [{"type": "reason", "mode": "image", "backend": "openai", "model": "m",
                        "base_url": chat_server.url}]}
    first = run_recipe(recipe_from_dict(spec), store)
    served = len(chat_server.log)
    _edit(monkeypatch, "curation/stages/reason.py")
    again = run_recipe(recipe_from_dict(spec), store)
    assert again.snapshots and again.final.id != first.final.id, "new code: a new version"
    assert len(chat_server.log) == served == 4, "the request did not change: every answer comes from the cache"
    assert store.open(again.final.id).read()["response"].to_list() == \
        store.open(first.final.id).read()["response"].to_list()
