"""difficulty: a policy served by the local OpenAI-compatible server answers problem i correctly in exactly
i % 5 of its 4 samples, so every pass rate, band, quota and reason below is known in advance."""

from __future__ import annotations

import re

import polars as pl
import pytest

from curation.filters.difficulty import DifficultyParams
from curation.filters.mix import share_targets
from curation.pipeline import run_recipe
from curation.recipe import RecipeError, recipe_from_dict
from curation.schema import row_id
from tests.conftest import png_bytes
from tests.filters.helpers import run_stage
from tests.generate.chat_server import ChatServer, prompt_text

K, SEED = 4, 100
N_PROBLEMS = 20  # 0-9 geometry, 10-19 chart


def n_correct(i: int) -> int:
    return i % 5  # pass rates 0, 0.25, 0.5, 0.75, 1 in turn


def policy(body: dict, choice_index: int) -> str:
    """The scripted policy: sample s of problem i is correct when s < n_correct(i)."""
    i = int(re.search(r"What is (\d+) \+ 1\?", prompt_text(body)).group(1))
    sample = body["seed"] - SEED
    answer = i + 1 if sample < n_correct(i) else i + 50
    return f"<think>\nAdding one to {i}.\n</think>\n\n<answer>{answer}</answer>"


@pytest.fixture(scope="module")
def rollouts(tmp_path_factory):
    """A store holding pool -> graded rollouts (every verdict kept) made by the scripted policy."""
    from curation.store import Store

    store = Store(tmp_path_factory.mktemp("difficulty") / "store")
    rows = []
    for i in range(N_PROBLEMS):
        source, problem, answer = ("geometry" if i < 10 else "chart"), f"What is {i} + 1?", str(i + 1)
        rows.append({"id": row_id(source, problem), "source": source, "problem": problem, "answer": answer,
                     "choices": [], "image_ids": [store.images.put(png_bytes(i))], "metadata": "{}"})
    with store.writer("pool", "pool", config={"difficulty-test": N_PROBLEMS}) as writer:
        writer.write(pl.DataFrame(rows, schema_overrides={"choices": pl.List(pl.Utf8)}))
    server = ChatServer(answer=policy).start()
    try:
        recipe = recipe_from_dict({"name": "policy-rollouts", "input": "pool", "output": "graded", "stages": [
            {"type": "reason", "backend": "openai", "base_url": server.url, "model": "policy", "mode": "image",
             "k": K, "preset": "rollout", "seed": SEED},
            {"type": "correctness", "keep": ["correct", "wrong", "unparseable"]},
        ]}, where="test")
        run_recipe(recipe, store)
        assert len(server.log) == N_PROBLEMS * K
    finally:
        server.stop()
    ids = {r["problem"]: r["id"] for r in rows}
    return store, {int(re.search(r"\d+", p).group()): pid for p, pid in ids.items()}


def select(store, output: str, **params):
    recipe = recipe_from_dict({"name": f"select-{output}", "input": "graded", "output": output, "seed": 7,
                               "stages": [{"type": "difficulty", **params}, {"type": "to_grpo"},
                                          {"type": "check", "kind": "grpo"}]}, where="test")
    info = run_recipe(recipe, store).final
    snapshot = store.open(info.ref)
    rejected = snapshot.rejections().collect().filter(pl.col("stage") == "difficulty")
    # one reason per problem: every sample of a dropped problem carries it
    reasons = rejected.with_columns(pl.col("row").str.json_path_match("$.problem_id").alias("problem_id")) \
        .group_by("problem_id").agg(pl.col("reason").unique(), pl.col("detail").first(), pl.len())
    assert (reasons["len"] == K).all() and (reasons["reason"].list.len() == 1).all()
    return snapshot.read(), {r["problem_id"]: (r["reason"][0], r["detail"]) for r in reasons.iter_rows(named=True)}


@pytest.mark.server
def test_default_band_drops_never_and_always_solved_with_reasons(rollouts):
    store, ids = rollouts
    grpo, reasons = select(store, "grpo-band")
    band = {ids[i] for i in range(N_PROBLEMS) if 0 < n_correct(i) < K}
    assert set(grpo["id"]) == band and grpo.height == 12
    expected_rate = {ids[i]: n_correct(i) / K for i in range(N_PROBLEMS)}
    for row in grpo.iter_rows(named=True):  # real values, carried by to_grpo, one prompt per problem
        assert row["pass_rate"] == expected_rate[row["id"]]
        assert (row["n_samples"], row["n_correct"]) == (K, round(row["pass_rate"] * K))
    assert {pid for pid, (reason, _) in reasons.items() if reason == "too_hard"} == \
        {ids[i] for i in range(N_PROBLEMS) if n_correct(i) == 0}
    assert {pid for pid, (reason, _) in reasons.items() if reason == "too_easy"} == \
        {ids[i] for i in range(N_PROBLEMS) if n_correct(i) == K}
    assert reasons[ids[5]][1] == "pass rate 0.0 (0/4) is below the band 0 < pass_rate < 1"
    assert reasons[ids[4]][1] == "pass rate 1.0 (4/4) is above the band 0 < pass_rate < 1"


@pytest.mark.server
def test_explicit_bounds_are_inclusive(rollouts):
    store, ids = rollouts
    grpo, reasons = select(store, "grpo-inclusive", min_pass_rate=0.5, max_pass_rate=1.0)
    assert set(grpo["id"]) == {ids[i] for i in range(N_PROBLEMS) if n_correct(i) >= 2}
    assert reasons[ids[1]] == ("too_hard", "pass rate 0.25 (1/4) is below the band 0.5 <= pass_rate <= 1")
    unsolved, _ = select(store, "grpo-unsolved", min_pass_rate=0.0, max_pass_rate=0.0)
    assert set(unsolved["id"]) == {ids[i] for i in range(N_PROBLEMS) if n_correct(i) == 0}
    assert unsolved["pass_rate"].to_list() == [0.0] * 4


@pytest.mark.server
def test_quota_caps_a_source_deterministically(rollouts):
    store, ids = rollouts
    grpo, reasons = select(store, "grpo-quota", quotas={"geometry": 2})
    geometry = grpo.filter(pl.col("source") == "geometry")
    assert geometry.height == 2 and grpo.filter(pl.col("source") == "chart").height == 6
    over = {pid: detail for pid, (reason, detail) in reasons.items() if reason == "over_quota"}
    assert len(over) == 4 and set(over) | set(geometry["id"]) == {ids[i] for i in range(10) if 0 < n_correct(i) < K}
    assert all(d.startswith("source geometry: quota of 2 problems reached") for d in over.values())
    again, _ = select(store, "grpo-quota-again", quotas={"geometry": 2}, min_pass_rate=None)
    assert sorted(again["id"]) == sorted(grpo["id"])  # same input and seed: same choice


@pytest.mark.server
def test_shares_grow_one_source_and_max_problems_caps_the_total(rollouts):
    store, _ = rollouts
    # 6 geometry and 6 chart problems in the band: geometry at 3/4 allows 8 problems (6 geometry, 2 chart)
    grown, reasons = select(store, "grpo-shares", shares={"geometry": 0.75})
    assert grown.group_by("source").len().sort("source").rows() == [("chart", 2), ("geometry", 6)]
    chart_over = [d for reason, d in reasons.values() if reason == "over_quota"]
    assert len(chart_over) == 4 and all("the other sources' share 0.25 of 8 selected problems is full" in d
                                        for d in chart_over)
    halves, _ = select(store, "grpo-halves", shares={"geometry": 0.5}, max_problems=4)
    assert halves.group_by("source").len().sort("source").rows() == [("chart", 2), ("geometry", 2)]
    capped, reasons = select(store, "grpo-max", max_problems=5)
    assert capped.height == 5
    assert sum(reason == "over_quota" for reason, _ in reasons.values()) == 7


def test_share_targets_rounding_and_missing_rest():
    assert share_targets({"a": 10, "b": 10}, {"a": 0.5}, None) == {"a": 10, "*": 10}
    assert share_targets({"a": 3, "b": 10, "c": 10}, {"a": 0.5}, None) == {"a": 3, "*": 3}
    assert share_targets({"a": 10, "b": 10}, {"a": 1 / 3}, 10) == {"a": 3, "*": 7}
    assert share_targets({"a": 10, "b": 10, "c": 10}, {"a": 0.4, "b": 0.4}, 7) == {"a": 3, "b": 3, "*": 1}
    # a named source with nothing eligible cannot be honoured: the others keep theirs
    assert share_targets({"b": 10, "c": 4}, {"a": 0.5, "c": 0.5}, None) == {"c": 4, "*": 4}
    # no unnamed source in the band: named shares are relative to each other
    assert share_targets({"a": 4, "b": 10}, {"a": 0.25, "b": 0.25}, None) == {"a": 4, "b": 4, "*": 0}


def test_missing_verdicts_and_bad_params_are_clear(store):
    frame = pl.DataFrame({"id": ["r1"], "problem_id": ["p1"], "source": ["s"]})
    with pytest.raises(Exception, match="correctness.*keep: \\[correct, wrong, unparseable\\]"):
        run_stage("difficulty", frame, store)
    with pytest.raises(ValueError, match="min_pass_rate 0.8 is above max_pass_rate 0.2"):
        DifficultyParams(min_pass_rate=0.8, max_pass_rate=0.2)
    with pytest.raises(RecipeError, match="shares add up to 1.2"):
        recipe_from_dict({"name": "x", "input": "p", "output": "o",
                          "stages": [{"type": "difficulty", "shares": {"a": 0.6, "b": 0.6}}]}, where="r.yaml")


@pytest.mark.server
def test_card_histogram_shows_pass_rates_before_and_after_selection(rollouts, tmp_path):
    from curation.publish.publish import publish_snapshot

    store, _ = rollouts
    select(store, "grpo-card")
    result = publish_snapshot(store, "grpo-card", "org/grpo", dry_run=True, out=tmp_path / "hub")
    card = result.card.read_text()
    # 12 selected problems (pass rates 0.25, 0.5, 0.75: mean 0.5) of 20 graded ones (mean 0.5 too)
    assert "(figures/pass_rate.png)" in card
    assert "mean 0.50, 12 problems with a pass rate; 20 before selection (mean 0.50)" in card
    published = pl.read_parquet(next((tmp_path / "hub" / "data").glob("*.parquet")))
    assert {"pass_rate", "n_samples", "n_correct"} <= set(published.columns)
