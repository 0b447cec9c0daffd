"""The synthetic teacher: deterministic per (seed, key, sample), configured defect rates, labels true to the text."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from pydantic import ValidationError

from curation.sources.synthetic import generate_problems
from curation.sources.teacher import LABELS, SyntheticTeacher, TeacherConfig
from curation.sources.teacher_forms import equivalent_form, parse_number, wrong_answer
from curation.sources.teacher_text import REFLECTION_MARKERS
from curation.verify.trace_format import check

ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)


@pytest.fixture(scope="module")
def traced():
    """~2000 traces: 500 synthetic problems x 4 samples, with their gold answers."""
    teacher = SyntheticTeacher(TeacherConfig(), seed=0)
    out = []
    for i, p in enumerate(generate_problems(500, seed=0)):
        for trace in teacher.generate(p.problem, p.answer, p.choices, key=f"row{i}", k=4):
            out.append((p, trace))
    return out


def _same_value(a: str, b: str) -> bool:
    x, y = parse_number(a), parse_number(b)
    return x is not None and x == y


def test_traces_are_deterministic_per_seed_key_and_sample_index():
    teacher = SyntheticTeacher(TeacherConfig(), seed=4)
    again = SyntheticTeacher(TeacherConfig(), seed=4)
    traces = teacher.generate("How many circles?", "3", [], key="abc", k=6)
    assert traces == again.generate("How many circles?", "3", [], key="abc", k=6)
    # A resumed run that only needs sample 4 re-creates it exactly.
    assert again.trace("How many circles?", "3", [], key="abc", sample_index=4) == traces[4]
    assert [t.sample_index for t in traces] == list(range(6))
    other_seed = SyntheticTeacher(TeacherConfig(), seed=5).generate("How many circles?", "3", [], key="abc", k=6)
    assert [t.response for t in other_seed] != [t.response for t in traces]


def test_observed_rates_match_configured_rates(traced):
    config = TeacherConfig()
    n = len(traced)
    observed = {label: sum(t.labels[label] for _, t in traced) / n for label in LABELS}
    expected = {"reflection": config.reflection_rate, "long": config.long_rate, "wrong": config.wrong_rate,
                "unparseable": config.unparseable_rate, "malformed": config.malformed_rate}
    for label, rate in expected.items():
        assert abs(observed[label] - rate) < 0.035, (label, observed[label], rate)
    correct = [t for _, t in traced if not t.labels["wrong"] and not t.labels["unparseable"]]
    share = sum(t.labels["equivalent_form"] for t in correct) / len(correct)
    assert abs(share - config.equivalent_form_rate) < 0.04


def test_custom_rates_are_honoured():
    config = TeacherConfig(reflection_rate=0.0, long_rate=1.0, wrong_rate=0.0, unparseable_rate=0.0,
                           malformed_rate=0.0, equivalent_form_rate=0.0)
    traces = SyntheticTeacher(config, seed=1).generate("What is 2+2?", "4", [], key="k", k=50)
    assert all(t.labels["long"] and not t.labels["reflection"] for t in traces)
    assert all(t.final_answer == "4" and t.response.endswith("<answer>4</answer>") for t in traces)


def test_word_counts_normal_and_long(traced):
    for _, t in traced:
        words = len(t.response.split())
        if t.labels["long"]:
            assert words > 500
        else:
            assert 50 <= words <= 400, (words, t.labels)


def test_wrong_and_correct_answers_in_the_answer_tag(traced):
    for p, t in traced:
        tags = ANSWER_TAG.findall(t.response)
        if t.labels["unparseable"]:
            assert t.final_answer is None
            assert not [tag for tag in tags if tag.strip()]
            assert "the answer is" not in t.response.lower()
            continue
        assert tags[-1] == t.final_answer
        if t.labels["wrong"]:
            assert t.final_answer.lower() != p.answer.lower() and not _same_value(t.final_answer, p.answer)
        elif t.labels["equivalent_form"]:
            assert t.final_answer != p.answer
        else:
            assert t.final_answer == p.answer


def test_reflections_come_after_the_answer_and_only_when_labelled(traced):
    markers = re.compile("|".join(re.escape(m) for m in REFLECTION_MARKERS))
    for _, t in traced:
        found = markers.search(t.response)
        assert bool(found) == t.labels["reflection"]
        if found and not t.labels["unparseable"]:
            assert t.response.index(f"So the answer is {t.final_answer}.") < found.start()


def test_malformed_labels_match_the_text(traced):
    malformed = [t for _, t in traced if t.labels["malformed"]]
    assert {t.kinds["malformed"] for t in malformed} == {"two_think", "special_tokens", "text_after_answer",
                                                          "missing_close", "text_between"}
    for t in malformed:
        kind = t.kinds["malformed"]
        if kind == "two_think":
            assert t.response.count("<think>") == 2
        elif kind == "special_tokens":
            assert re.search(r"<\|\w+\|>|</s>$", t.response)
        elif kind == "text_after_answer":
            assert not t.response.rstrip().endswith("</answer>")
        elif kind == "text_between":
            assert re.search(r"</think>\s*\S[^<]*<answer>", t.response)
        else:
            assert "</think>" not in t.response
    for _, t in traced:
        if not t.labels["malformed"] and not t.labels["unparseable"]:
            assert t.response.startswith("<think>\n") and t.response.count("</think>") == 1
            assert t.response.endswith("</answer>") and "<|" not in t.response


def test_format_check_accepts_exactly_the_traces_without_format_defects(traced):
    """The teacher writes with trace_format.render; every malformed or unparseable trace breaks the format."""
    for _, t in traced:
        ok, issue = check(t.response)
        assert ok == (not t.labels["malformed"] and not t.labels["unparseable"]), (issue, t.kinds, t.response[-120:])


def test_equivalent_forms_are_equal_in_value():
    rng = __import__("random").Random(0)
    assert equivalent_form("B", ["1", "2", "3"], rng) == "(B)"
    assert equivalent_form("yes", [], rng) == "Yes"
    for gold in ["3/4", "0.5", "7.5", "12", "0.25"]:
        for _ in range(10):
            form = equivalent_form(gold, [], rng)
            assert form != gold
            cleaned = form.replace("$", "")
            fraction = re.fullmatch(r"\\frac\{(\d+)\}\{(\d+)\}", cleaned)
            value = Fraction(int(fraction[1]), int(fraction[2])) if fraction else parse_number(cleaned)
            assert value == parse_number(gold), (gold, form)
    assert "50%" in {equivalent_form("0.5", [], rng) for _ in range(30)}


def test_wrong_answers_stay_in_the_answer_space():
    rng = __import__("random").Random(1)
    for _ in range(50):
        assert wrong_answer("C", ["a", "b", "c", "d"], rng) in {"A", "B", "D"}
        assert wrong_answer("yes", [], rng) == "no"
        assert parse_number(wrong_answer("3.75", [], rng)) != Fraction("3.75")


def test_config_rejects_impossible_rates():
    with pytest.raises(ValidationError, match="wrong_rate \\+ unparseable_rate"):
        TeacherConfig(wrong_rate=0.9, unparseable_rate=0.2)
    with pytest.raises(ValidationError):
        TeacherConfig(reflection_rate=1.5)
    with pytest.raises(ValidationError):
        TeacherConfig(typo_rate=0.1)


@pytest.mark.parametrize("text", ["12", "-0.75", "3/4", "-3/4", "\\frac{3}{4}", ".5", "1e3", "1/0", "abc", "3 cm",
                                  "0.125", "7/8"])
def test_the_teacher_reads_numbers_by_the_graders_rule(text):
    from curation.verify.normalize import parse_number as graders_number

    ours, graders = parse_number(text), graders_number(text)
    assert (ours is None) == (graders is None)
    if ours is not None:
        assert float(ours) == pytest.approx(graders.value)
    assert parse_number(f"{text}%") == (None if ours is None else ours / 100)
