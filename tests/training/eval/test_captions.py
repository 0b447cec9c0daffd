"""The caption study: one text reasoner (on the local OpenAI-compatible server) answering from the
captions of two captioners, pass@1/2/4 per source side by side, as a table, JSON and a PNG."""

from __future__ import annotations

import json
import re

import polars as pl
import pytest
from PIL import Image
from typer.testing import CliRunner

import tests.generate.conftest as generate_fixtures
from curation.cli import app
from curation.pipeline import run_recipe
from curation.recipe import recipe_from_dict
from tests.conftest import pool_frame
from training.eval.captions import caption_study

chat_server = generate_fixtures.chat_server  # the local OpenAI-compatible server, one per test
pytestmark = pytest.mark.server


def reasoner_and_weak_captioner(body: dict, choice_index: int) -> str:
    """The weak captioner sees nothing useful; the reasoner is right on even seeds when the caption
    states the value, so each problem has 2 correct of 4 samples with good captions, 0 without."""
    if body["model"] == "weak-captioner":
        return "A picture."
    found = re.search(r"value=(\d+)", generate_fixtures_prompt(body))
    if found and body.get("seed", 0) % 2 == 0:
        return f"<think>The caption says {found.group(1)}.</think><answer>{found.group(1)}</answer>"
    return "<think>I cannot tell.</think><answer>-1</answer>"


def generate_fixtures_prompt(body: dict) -> str:
    from tests.generate.chat_server import prompt_text

    return prompt_text(body)


@pytest.fixture
def caption_snapshots(store, chat_server):
    chat_server.answer = reasoner_and_weak_captioner
    tables = pool_frame(store, 2, source="synth_table").with_columns(problem=pl.format("Table: {}", "problem"))
    frame = pl.concat([pool_frame(store, 4), tables]).with_columns(
        metadata=pl.format('{{"caption": "value={}"}}', pl.col("answer")))
    with store.writer("pool-captions", "pool", config={"caption_study_pool": True}) as writer:
        writer.write(frame)
    refs = []
    for output, stage in (("captions-teacher", {"backend": "synthetic", "model": "synthetic-captioner"}),
                          ("captions-weak", {"backend": "openai", "model": "weak-captioner",
                                             "base_url": chat_server.url})):
        recipe = recipe_from_dict({"name": output, "input": "pool-captions", "output": output,
                                   "stages": [{"type": "caption", **stage}]}, where="test")
        refs.append(run_recipe(recipe, store).final.ref)
    return refs


def test_caption_study_reports_pass_at_k_per_source_side_by_side(store, chat_server, caption_snapshots, tmp_path):
    good, weak = caption_snapshots
    study = caption_study(store, "reasoner", (good, weak), base_url=chat_server.url, k=4, plot=tmp_path / "fig.png")
    rows = {row["source"]: row for row in study.table()}
    assert set(rows) == {"synth_chart", "synth_table", "overall"}
    for row in rows.values():
        # 2 of 4 samples correct per problem with good captions: pass@1 = 1/2, pass@2 = 1 - C(2,2)/C(4,2) = 5/6
        assert row[f"pass@1 {good}"] == 0.5 and row[f"pass@2 {good}"] == pytest.approx(5 / 6, abs=1e-6)
        assert row[f"pass@4 {good}"] == 1.0
        assert row[f"pass@1 {weak}"] == row[f"pass@2 {weak}"] == row[f"pass@4 {weak}"] == 0.0
    assert rows["overall"]["n"] == 6
    with Image.open(study.plot_path) as image:
        assert image.format == "PNG" and image.width > 600
    reasoner_prompts = [s.prompt for s in chat_server.log if s.body["model"] == "reasoner"]
    assert len(reasoner_prompts) == 2 * 6 * 4 and all("Image description:" in p for p in reasoner_prompts)
    assert {e.artifact_id for e in study.evals} == {
        r["eval_id"] for r in store.catalog.query("SELECT eval_id FROM eval_runs WHERE mode = 'text'")}


def test_caption_study_from_the_cli(store, chat_server, caption_snapshots):
    good, weak = caption_snapshots
    args = ["eval", "captions", "--reasoner", "reasoner", "--captions", good, weak, "--base-url", chat_server.url,
            "--store", str(store.root)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "caption study" in result.stdout and "synth_table" in result.stdout and "plot:" in result.stdout
    data = json.loads(CliRunner().invoke(app, [*args, "--json"]).stdout)
    assert data["captions"] == [good, weak] and data["table"][-1]["source"] == "overall"
    assert data["plot"].endswith(".png")
