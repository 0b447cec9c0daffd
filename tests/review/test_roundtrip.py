"""Push -> reviewers submit through the SDK -> pull -> apply -> stats, against the real argilla-server."""

from __future__ import annotations

import re

import polars as pl
import pytest

from curation.review.apply import REGRADED_WRONG, REVIEW_REJECTED, apply
from curation.review.pull import pull
from curation.review.push import push
from curation.review.stats import review_stats
from tests.review.factory import make_reviewable_snapshot
from tests.review.reviewers import new_reviewer, owner_client, submit

pytestmark = [pytest.mark.server, pytest.mark.slow]

# What the owner decides per row key; k3's correction does not match its response ("4").
OWNER = {
    "k0": {"decision": "accept", "quality": 5},
    "k1": {"decision": "reject", "quality": 1, "note": "reasoning skips a step"},
    "k2": {"decision": "accept", "quality": 4, "corrected_answer": "4.0"},
    "k3": {"decision": "accept", "quality": 3, "corrected_answer": "7"},
    "k4": {"decision": "reject"},
    "k5": {"decision": "accept"},
    "r0": {"decision": "accept"},
    "r1": {"decision": "reject"},
    "r2": {"decision": "reject"},
    "r3": {"decision": "reject"},
}
# A second reviewer disagrees on k5: a tie rejects.
SECOND = {"k0": {"decision": "accept"}, "k5": {"decision": "reject"}}


def _expected_decision(key: str) -> str:
    votes = [answers[key]["decision"] for answers in (OWNER, SECOND) if key in answers]
    return "reject" if votes.count("reject") >= votes.count("accept") else "accept"


def _precision(keys: list[str], wanted: str) -> float | None:
    return round(sum(_expected_decision(k) == wanted for k in keys) / len(keys), 4) if keys else None


@pytest.fixture
def reviewed(argilla_server, tmp_path, request):
    """A fresh snapshot (its own Argilla dataset) pushed, reviewed by two reviewers and pulled, per test.

    Each test gets its own store and dataset, so no test sees another's apply or changed response and the
    tests pass in any order.
    """
    from curation.store import Store

    api_url, api_key = argilla_server
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARGILLA_API_URL", api_url)
        patch.setenv("ARGILLA_API_KEY", api_key)
        store = Store(tmp_path / "roundtrip-store")
        name = "roundtrip-" + re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40]
        info, ids = make_reviewable_snapshot(store, name)
        pushed = push(store, info.ref, sample=8, stratify=["source", "verdict"], include_rejected=4, seed=7)
        submit(owner_client(api_url, api_key), pushed.dataset, pushed.workspace,
               {ids[k]: v for k, v in OWNER.items()})
        submit(new_reviewer(api_url, api_key, pushed.workspace), pushed.dataset, pushed.workspace,
               {ids[k]: v for k, v in SECOND.items()})
        first_pull = pull(store, info.ref)
        second_pull = pull(store, info.ref)
        yield {"store": store, "info": info, "ids": ids, "pushed": pushed, "pulls": (first_pull, second_pull),
               "env": (api_url, api_key)}


def test_pull_stores_every_submitted_response_and_is_idempotent(reviewed):
    first, second = reviewed["pulls"]
    assert first["responses"] == len(OWNER) + len(SECOND)
    assert first["added"] == first["responses"]
    assert (second["added"], second["changed"], second["removed"]) == (0, 0, 0)
    rows = reviewed["store"].catalog.query(
        "SELECT row_id, decision, quality, corrected_answer, note FROM review_responses ORDER BY row_id")
    by_row = {}
    for row in rows:
        by_row.setdefault(row["row_id"], []).append(row)
    k2 = by_row[reviewed["ids"]["k2"]]
    assert [(r["decision"], r["quality"], r["corrected_answer"]) for r in k2] == [("accept", 4, "4.0")]
    assert by_row[reviewed["ids"]["k1"]][0]["note"] == "reasoning skips a step"


def test_apply_drops_rejected_rows_and_regrades_corrections(reviewed):
    store, info, ids = reviewed["store"], reviewed["info"], reviewed["ids"]
    result = apply(store, info.ref)
    assert result.snapshot == f"{info.name}@v{info.version + 1}"
    new = store.open(result.snapshot)
    frame = new.read()
    by_id = {row["id"]: row for row in frame.iter_rows(named=True)}
    kept_keys = sorted(k for k, v in ids.items() if v in by_id)
    # k1, k4 rejected; k5 tie -> rejected; k3's corrected answer "7" no longer matches its trace.
    assert kept_keys == ["k0", "k2", "k6", "k7"]
    k2 = by_id[ids["k2"]]
    assert (k2["answer"], k2["answer_before_review"], k2["verdict"]) == ("4.0", "4", "correct")
    assert by_id[ids["k0"]]["answer_before_review"] is None
    rejections = new.rejections().collect()
    reasons = dict(zip(rejections["row_id"], rejections["reason"], strict=True))
    assert reasons == {ids["k1"]: REVIEW_REJECTED, ids["k4"]: REVIEW_REJECTED, ids["k5"]: REVIEW_REJECTED,
                       ids["k3"]: REGRADED_WRONG}
    assert (result.rows_in, result.rows_out, result.rejected, result.corrected, result.regraded_wrong) == \
        (8, 4, 3, 2, 1)
    # lineage: parent -> new (filtered_from), review -> new (applied_to), parent -> review (reviewed_in)
    edges = {(e["src_id"], e["kind"]) for e in store.catalog.query(
        "SELECT src_id, kind FROM edges WHERE dst_id = ?", [new.info.id])}
    assert edges == {(info.id, "filtered_from"), (result.review_id, "applied_to")}
    assert store.catalog.query("SELECT kind FROM edges WHERE src_id = ? AND dst_id = ?",
                               [info.id, result.review_id]) == [{"kind": "reviewed_in"}]
    funnel = store.catalog.query("SELECT rows_in, rows_out FROM funnel WHERE snapshot_id = ?", [new.info.id])
    assert funnel == [{"rows_in": 8, "rows_out": 4}]
    # the same decisions again give the same version, with no second edge
    again = apply(store, info.ref)
    assert again.snapshot == result.snapshot
    assert len(store.list(info.name)) == 2
    assert len(store.catalog.query("SELECT 1 FROM edges WHERE kind = 'applied_to'")) == 1


def test_stats_match_the_submitted_decisions(reviewed):
    stats = review_stats(reviewed["store"], reviewed["info"].ref)
    submitted = [a["decision"] for answers in (OWNER, SECOND) for a in answers.values()]
    assert stats["responses"] == len(submitted)
    assert stats["reviewers"] == 2
    assert stats["records"] == 12 and stats["records_reviewed"] == len(OWNER)
    assert (stats["accepted"], stats["rejected"]) == (submitted.count("accept"), submitted.count("reject"))
    assert stats["accept_rate"] == round(submitted.count("accept") / len(submitted), 4)
    assert stats["corrections"] == 2
    assert stats["mean_quality"] == round((5 + 1 + 4 + 3) / 4, 3)
    kept = [k for k in OWNER if k.startswith("k")]
    expected = {
        "all filters": (kept, ["r0", "r1", "r2", "r3"]),
        "length": (kept + ["r2", "r3"], ["r0", "r1"]),  # r2, r3 passed length, dropped later
        "correctness": (kept, ["r2", "r3"]),
    }
    got = {row["stage"]: row for row in stats["filters"]}
    assert set(got) == set(expected)
    for stage, (kept_keys, dropped_keys) in expected.items():
        row = got[stage]
        assert row["kept_reviewed"] == len(kept_keys), stage
        assert row["dropped_reviewed"] == len(dropped_keys), stage
        assert row["precision_kept"] == _precision(kept_keys, "accept"), stage
        assert row["precision_dropped"] == _precision(dropped_keys, "reject"), stage


def test_stats_follow_a_changed_response_after_pull(reviewed):
    """A reviewer overturning a decision shows up after the next pull, and only then."""
    store, info, ids = reviewed["store"], reviewed["info"], reviewed["ids"]
    api_url, api_key = reviewed["env"]
    before = review_stats(store, info.ref)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARGILLA_API_URL", api_url)
        patch.setenv("ARGILLA_API_KEY", api_key)
        client = owner_client(api_url, api_key)
        remote = client.datasets(name=reviewed["pushed"].dataset, workspace=reviewed["pushed"].workspace)
        record = next(r for r in remote.records(with_responses=True) if str(r.id) == ids["r0"])
        for response in list(record.responses):
            if response.user_id == client.me.id and response.question_name == "decision":
                response.value = "reject"
        remote.records.log([record])
        assert review_stats(store, info.ref) == before  # nothing changes until pulled
        counts = pull(store, info.ref)
    assert (counts["added"], counts["changed"], counts["removed"]) == (0, 1, 0)
    after = review_stats(store, info.ref)
    assert after["rejected"] == before["rejected"] + 1
    length = next(r for r in after["filters"] if r["stage"] == "length")
    assert length["precision_dropped"] == 1.0
    assert pl.DataFrame(after["filters"]).height == 3
