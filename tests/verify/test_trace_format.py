"""One trace format: the Polars filter, the Python check, the check suite's regex and the GRPO reward agree.

The agreement is stated as a property over the synthetic teacher's outputs of every defect kind and
over random strings built from tags, whitespace and special tokens.
"""

from __future__ import annotations

import re
from functools import lru_cache

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curation.rows import KEEP
from curation.sources.synthetic import generate_problems
from curation.sources.teacher import SyntheticTeacher, TeacherConfig
from curation.verify.trace_format import ISSUES, PATTERN, check, issue_expr, render
from tests.conftest import rollouts_frame
from tests.filters.helpers import run_stage
from training.rewards import format_reward

FULL = re.compile(PATTERN)

# One trace that fails each rule first; the rules are checked in ISSUES order.
FIRST_ISSUE = {
    "empty_response": " \n\t",
    "special_token": "<think>a</think><answer>4</answer><|im_end|>",
    "think_block_count": "<think>a</think><think>b</think><answer>4</answer>",
    "think_not_first": "Sure. <think>a</think><answer>4</answer>",
    "missing_answer_tag": "<think>a</think> 4",
    "several_answer_tags": "<think>a</think><answer>3</answer><answer>4</answer>",
    "answer_inside_think": "<think>a <answer>4</answer></think>",
    "answer_tags_out_of_order": "<think>a</think></answer>4<answer>",
    "empty_think": "<think>\n\n</think><answer>4</answer>",
    "empty_answer": "<think>a</think><answer>\u00a0</answer>",
    "text_between_think_and_answer": "<think>a</think>\nSo the answer is 4. <answer>4</answer>",
    "text_after_answer": "<think>a</think><answer>4</answer>\nHope this helps!",
}
WELL_FORMED = ["<think>a</think><answer>4</answer>", "\n <think>\nTwo and two.\n</think>\n\n<answer> 4 </answer>\n\n",
               render("Two and two make four.", "4")]


def filter_issues(texts: list[str | None], store) -> list[str | None]:
    kept, rejected = run_stage("format", rollouts_frame(texts), store)
    both = pl.concat([kept, rejected]).sort("sample_index")
    assert (both[KEEP] == both["format_issue"].is_null()).all()
    return both["format_issue"].to_list()


def test_every_rule_names_its_issue(store):
    assert set(FIRST_ISSUE) == set(ISSUES)
    texts = list(FIRST_ISSUE.values()) + WELL_FORMED
    expected = list(FIRST_ISSUE) + [None] * len(WELL_FORMED)
    assert [check(t)[1] for t in texts] == expected
    assert filter_issues(texts, store) == expected
    assert [bool(FULL.search(t)) for t in texts] == [e is None for e in expected]
    assert format_reward(texts) == [0.0 if e else 1.0 for e in expected]


def test_null_response_is_empty():
    assert check(None) == (False, "empty_response")
    frame = pl.DataFrame({"r": [None, "<think>a</think><answer>4</answer>"]}, schema={"r": pl.Utf8})
    assert frame.select(issue_expr(pl.col("r")).alias("issue"))["issue"].to_list() == ["empty_response", None]


plain_text = st.text(st.characters(blacklist_characters="<>[]|"), min_size=1, max_size=40).filter(
    lambda s: s.strip(" \t\n\r\v\f\u00a0") != "")


@settings(max_examples=200, deadline=None)
@given(plain_text, plain_text)
def test_render_writes_well_formed_traces(think, answer):
    text = render(think, answer)
    assert check(text) == (True, None) and FULL.search(text)


@lru_cache(maxsize=1)
def teacher_traces() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Teacher traces covering every defect kind (malformed variants and unparseable kinds) and clean ones."""
    config = TeacherConfig(malformed_rate=0.5, unparseable_rate=0.3, reflection_rate=0.3, long_rate=0.05)
    teacher = SyntheticTeacher(config, seed=11)
    out = []
    for i, p in enumerate(generate_problems(60, seed=2)):
        for t in teacher.generate(p.problem, p.answer, p.choices, key=f"p{i}", k=4):
            out.append((t.response, tuple(sorted(t.kinds.values()))))
    return tuple(out)


def test_teacher_traces_cover_every_defect_kind():
    kinds = {kind for _, ks in teacher_traces() for kind in ks}
    assert kinds == {"two_think", "special_tokens", "text_after_answer", "missing_close", "text_between",
                     "truncated", "no_tag", "empty_tag"}
    assert any(not ks for _, ks in teacher_traces())


PIECES = ["<think>", "</think>", "<answer>", "</answer>", "<Think>", "<answer >", " ", "\n", "\t", "\u00a0",
          "\u2003", "\x1c", "4", "So the answer is 4.", "<|im_end|>", "</s>", "<s>", "[INST]", "<pad>", "<|x y|>",
          "Wait,", "\\boxed{4}", "é"]
random_trace = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), max_size=14).map("".join)
teacher_trace = st.integers(0, 239).map(lambda i: teacher_traces()[i][0])


@st.composite
def teacher_on_any_problem(draw) -> str:
    """The teacher on an arbitrary problem text (a user's pool), any defect configuration."""
    rates = {name: draw(st.sampled_from([0.0, 0.5, 1.0])) for name in ("malformed_rate", "reflection_rate")}
    config = TeacherConfig(unparseable_rate=draw(st.sampled_from([0.0, 1.0])), wrong_rate=0.0, **rates)
    problem, answer = draw(st.text(max_size=30)), draw(st.sampled_from(["4", "B", "3/4", "yes", "red"]))
    return SyntheticTeacher(config, seed=draw(st.integers(0, 5))).trace(problem, answer, ["x", "y"], "k", 0).response


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(teacher_trace, random_trace, teacher_on_any_problem()), min_size=1, max_size=12))
def test_filter_check_pattern_and_reward_agree(store, texts):
    """reward 1.0 <=> the filter keeps <=> check passes <=> the check suite's regex matches; same issue name."""
    checked = [check(t) for t in texts]
    assert filter_issues(texts, store) == [issue for _, issue in checked]
    assert format_reward(texts) == [1.0 if ok else 0.0 for ok, _ in checked]
    assert [bool(FULL.search(t)) for t in texts] == [ok for ok, _ in checked]


@pytest.mark.parametrize("text", WELL_FORMED)
def test_conversational_completion_scores_like_plain(text):
    assert format_reward([[{"role": "assistant", "content": text}]]) == [1.0]
