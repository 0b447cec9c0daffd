"""caption and reason stages through the pipeline: synthetic backend, and the openai backend on the local server."""

from __future__ import annotations

import json

import polars as pl
import pytest

from curation.generate.runner import GenerationFailed
from curation.pipeline import run_recipe
from curation.recipe import recipe_from_dict
from curation.rows import StageFailed
from tests.generate import conftest as generate_fixtures

chat_server = generate_fixtures.chat_server  # the local OpenAI-compatible server, one per test

SYNTH = {"backend": "synthetic", "model": "synthetic-teacher"}


def recipe(pool, *stages, output="rollouts-test", **top):
    return recipe_from_dict({"name": "gen-test", "input": f"{pool.name}@v{pool.version}", "output": output,
                             "stages": list(stages), **top})


def test_synthetic_caption_then_reason_k4(store, make_pool):
    pool = make_pool(6)
    result = run_recipe(recipe(pool, {"type": "caption", **SYNTH},
                               {"type": "reason", "k": 4, "preset": "sampling", **SYNTH}), store)
    snapshot = store.open(result.final.id)
    frame = snapshot.read()
    assert snapshot.info.kind == "rollouts" and frame.height == 24
    assert frame.group_by("problem_id").agg(pl.col("sample_index").sort()).get_column("sample_index") \
        .to_list() == [[0, 1, 2, 3]] * 6
    assert frame["id"].n_unique() == 24 and frame["response"].str.contains("<answer>").all()
    assert set(frame["backend"]) == {"synthetic"} and set(frame["model"]) == {"synthetic-teacher"}
    assert json.loads(frame["params"][0])["temperature"] == 0.6
    assert frame["caption"].str.starts_with("An image for the question").all()
    [edge] = store.lineage(snapshot.info.id)
    assert edge["kind"] == "generated_by" and edge["src_id"] == pool.id
    with store.catalog.connect() as con:
        detail = json.loads(con.execute("SELECT detail FROM edges WHERE dst_id = ?", [snapshot.info.id]).fetchone()[0])
    assert detail["reason"] == {"model": "synthetic-teacher", "backend": "synthetic",
                                "params": json.loads(frame["params"][0])}
    assert detail["caption"]["backend"] == "synthetic"


def test_text_mode_sends_caption_and_question_image_mode_sends_the_image(store, make_pool, chat_server):
    pool = make_pool(3)
    server = {"backend": "openai", "model": "captioner", "base_url": chat_server.url}
    run_recipe(recipe(pool, {"type": "caption", **server},
                      {"type": "reason", **server, "model": "reasoner", "k": 2, "n_per_request": 2}), store)
    captions = [s for s in chat_server.log if s.body["model"] == "captioner"]
    reasons = [s for s in chat_server.log if s.body["model"] == "reasoner"]
    assert len(captions) == 3 and len(reasons) == 3 and all(s.body["n"] == 2 for s in reasons)
    assert all(s.body["messages"][0]["content"][0]["image_url"]["url"].startswith("data:image/png")
               for s in captions)
    first_caption = chat_server.answer(captions[0].body, 0)
    assert any(first_caption in s.prompt and "Image description:" in s.prompt for s in reasons)
    assert all(isinstance(s.body["messages"][0]["content"], str) for s in reasons)

    chat_server.log.clear()
    run_recipe(recipe(pool, {"type": "reason", **server, "model": "vlm", "mode": "image"}, output="vlm-out"), store)
    assert len(chat_server.log) == 3
    assert all(s.body["messages"][0]["content"][0]["type"] == "image_url" for s in chat_server.log)


def test_cli_options_override_backend_url_and_model(store, make_pool, chat_server):
    pool = make_pool(2)
    spec = recipe(pool, {"type": "reason", "mode": "image", **SYNTH})
    result = run_recipe(spec, store, {"backend": "openai", "base_url": chat_server.url, "model": "served-model"})
    frame = store.open(result.final.id).read()
    assert set(frame["model"]) == {"served-model"} and set(frame["backend"]) == {"openai"}
    assert {s.body["model"] for s in chat_server.log} == {"served-model"}
    synthetic = run_recipe(spec, store)  # another model: another snapshot, not the one above
    assert synthetic.snapshots and synthetic.final.id != result.final.id


def test_failures_under_the_limit_are_rejections_over_it_fail_the_stage(store, make_pool, chat_server):
    pool = make_pool(10)
    chat_server.add_fault("server_error", times=None, match="What is 3 + 1?")
    base = {"type": "reason", "mode": "image", "backend": "openai", "model": "m", "base_url": chat_server.url,
            "max_retries": 1, "k": 2}
    with pytest.raises(GenerationFailed, match=r"2 of 20 requests failed .*2 x server_error: HTTP 500"):
        run_recipe(recipe(pool, {**base, "max_failure_rate": 0.05}), store)
    assert store.list("rollouts-test") == []  # no smaller dataset was written

    served = len(chat_server.log)
    result = run_recipe(recipe(pool, {**base, "max_failure_rate": 0.1}), store)
    assert len(chat_server.log) - served == 2 * 2  # only the two failed requests were asked again (2 attempts)
    snapshot = store.open(result.final.id)
    assert snapshot.info.rows == 18
    rejections = snapshot.rejections().collect()
    assert rejections.height == 2 and set(rejections["reason"]) == {"generation_failed"}
    assert rejections["detail"].to_list() == ["server_error: HTTP 500 (gave up after 2 attempts)"] * 2


def test_rerunning_a_finished_recipe_asks_the_server_nothing(store, make_pool, chat_server):
    pool = make_pool(4)
    spec = recipe(pool, {"type": "reason", "mode": "image", "backend": "openai", "model": "m",
                         "base_url": chat_server.url})
    first = run_recipe(spec, store)
    served = len(chat_server.log)
    again = run_recipe(spec, store)
    assert len(chat_server.log) == served == 4
    assert again.reused and again.final.id == first.final.id


def test_no_api_key_in_the_store_or_the_logs(store, make_pool, chat_server, monkeypatch, capfd, caplog):
    secret = "sk-thinkset-test-SECRET-9f8e7d"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    pool = make_pool(3)
    run_recipe(recipe(pool, {"type": "caption", "backend": "openai", "model": "m", "base_url": chat_server.url},
                      {"type": "reason", "backend": "openai", "model": "m", "base_url": chat_server.url}), store)
    assert chat_server.log[0].headers["authorization"] == f"Bearer {secret}"  # it was used ...
    leaks = [p for p in store.root.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]
    assert leaks == []  # ... and written nowhere
    out, err = capfd.readouterr()
    assert secret not in out + err + caplog.text


@pytest.mark.parametrize("stage,match", [
    ({"type": "reason", "mode": "image", "backend": "nope", "model": "m"}, r"unknown backend 'nope'; known backends"),
    ({"type": "reason", "mode": "image", "backend": "openai", "model": "m"}, r"needs base_url"),
    ({"type": "reason", "mode": "image", "backend": "synthetic"}, r"no model; set `model:`"),
    ({"type": "reason", "mode": "text", **SYNTH}, r"needs a 'caption' column"),
])
def test_configuration_mistakes_stop_with_a_clear_message(store, make_pool, stage, match):
    pool = make_pool(2)
    with pytest.raises(StageFailed, match=match):
        run_recipe(recipe(pool, stage), store)
