"""A synthetic R1-style teacher: k reasoning traces per problem with seeded, labelled defects.

It gives every filter real work and makes the funnel's expected counts known::

    teacher = SyntheticTeacher(TeacherConfig(wrong_rate=0.2), seed=0)
    traces = teacher.generate(problem, answer="B", choices=["3", "4"], key=row_id, k=4)
    traces[0].response   # "<think>\n...\n</think>\n\nSo the final answer is B. <answer>B</answer>"
    traces[0].labels     # {"reflection": True, "long": False, "wrong": False, ...}

A trace depends only on (seed, key, sample_index), so a resumed run re-creates identical traces.
Each defect is drawn independently per trace at its configured rate; ``equivalent_form`` applies
to the traces that end with a correct answer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, model_validator

from curation.sources.teacher_forms import equivalent_form, wrong_answer
from curation.sources.teacher_text import reasoning, reflection, summary

LABELS = ("reflection", "long", "wrong", "unparseable", "malformed", "equivalent_form")
NORMAL_WORDS = (60, 300)  # reasoning length of a normal trace; the whole trace stays within 50-400 words
LONG_WORDS = (560, 900)  # an over-long trace is over the paper's 500-word cut by construction
SPECIAL_TOKENS = ["<|im_end|>", "<|endoftext|>", "<|eot_id|>", "</s>"]


class TeacherConfig(BaseModel):
    """Rates (probabilities per trace) of the defects the synthetic teacher injects."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reflection_rate: float = Field(0.3, ge=0, le=1, description="share of traces with a reflection ('Wait, ...') after the reasoning reached its answer")
    long_rate: float = Field(0.1, ge=0, le=1, description="share of over-long traces (more than 500 whitespace words)")
    wrong_rate: float = Field(0.2, ge=0, le=1, description="share of traces whose final answer is wrong")
    unparseable_rate: float = Field(0.05, ge=0, le=1, description="share of traces with no final answer (cut off, no answer tag, empty tag)")
    malformed_rate: float = Field(0.05, ge=0, le=1, description="share of traces with broken format (two think blocks, text after the answer, missing </think>, special tokens)")
    equivalent_form_rate: float = Field(0.3, ge=0, le=1, description="share of correct traces that write the answer in an equivalent but different form (0.75 for 3/4, (B) for B)")

    @model_validator(mode="after")
    def _answer_outcomes_fit(self) -> TeacherConfig:
        if self.wrong_rate + self.unparseable_rate > 1:
            raise ValueError(f"wrong_rate + unparseable_rate must be at most 1 (a trace is correct, wrong or "
                             f"unparseable); got {self.wrong_rate} + {self.unparseable_rate}")
        return self


@dataclass(frozen=True)
class TeacherTrace:
    """One generated trace and the defects injected into it (``labels``; ``kinds`` names the variant)."""

    response: str
    sample_index: int
    labels: dict[str, bool]
    final_answer: str | None = None  # the text inside <answer>, None when the trace has no final answer
    kinds: dict[str, str] = field(default_factory=dict)  # e.g. {"malformed": "two_think"}


class SyntheticTeacher:
    """Writes R1-style traces ``<think>…</think> summary <answer>X</answer>`` with controlled defects."""

    def __init__(self, config: TeacherConfig | None = None, seed: int = 0) -> None:
        self.config = config or TeacherConfig()
        self.seed = seed

    def generate(self, problem: str, answer: str, choices: list[str], key: str, k: int) -> list[TeacherTrace]:
        """``k`` traces for one problem; ``key`` (e.g. the pool row id) names the problem in the seeding."""
        return [self.trace(problem, answer, choices, key, index) for index in range(k)]

    def trace(self, problem: str, answer: str, choices: list[str], key: str, sample_index: int) -> TeacherTrace:
        """Trace number ``sample_index`` alone, identical to the one ``generate`` returns at that index."""
        config = self.config
        rng = random.Random(f"thinkset-teacher:{self.seed}:{key}:{sample_index}")
        # Every draw happens in a fixed order whatever the outcome, so one rate never shifts another.
        outcome_draw = rng.random()
        draws = {name: rng.random() for name in ("reflection", "long", "malformed", "equivalent_form")}
        unparseable = outcome_draw < config.unparseable_rate
        wrong = not unparseable and outcome_draw < config.unparseable_rate + config.wrong_rate
        labels = {
            "reflection": draws["reflection"] < config.reflection_rate,
            "long": draws["long"] < config.long_rate,
            "wrong": wrong,
            "unparseable": unparseable,
            "malformed": draws["malformed"] < config.malformed_rate,
            "equivalent_form": False,
        }
        stated: str | None = None
        if wrong:
            stated = wrong_answer(answer, choices, rng)
        elif not unparseable:
            stated = answer
            if draws["equivalent_form"] < config.equivalent_form_rate:
                stated = equivalent_form(answer, choices, rng)
                labels["equivalent_form"] = stated != answer

        low, high = LONG_WORDS if labels["long"] else NORMAL_WORDS
        body = reasoning(problem, choices, rng, target_words=rng.randint(low, high))
        kinds: dict[str, str] = {}
        if unparseable:
            kinds["unparseable"] = rng.choice(["truncated", "no_tag", "empty_tag"])
        if stated is not None:
            body += f" So the answer is {stated}."
        if labels["reflection"]:
            body += " " + reflection(stated, rng)

        if kinds.get("unparseable") == "truncated":
            # Cut off mid-sentence, as a generation that hit max_new_tokens.
            parts = ["<think>\n" + body + " Putting all of this together, the result is"]
        else:
            tail = {"no_tag": summary(None, rng), "empty_tag": summary(None, rng) + " <answer> </answer>"}
            ending = tail.get(kinds.get("unparseable", ""), f"{summary(stated, rng)} <answer>{stated}</answer>")
            parts = ["<think>\n" + body + "\n</think>", "\n\n" + ending]
        if labels["malformed"]:
            kinds["malformed"] = self._malform(parts, kinds.get("unparseable"), rng)
        return TeacherTrace(response="".join(parts), sample_index=sample_index, labels=labels,
                            final_answer=stated, kinds=kinds)

    @staticmethod
    def _malform(parts: list[str], unparseable_kind: str | None, rng: random.Random) -> str:
        """Break the format in place; only variants that make sense for this trace's shape are drawn."""
        variants = ["two_think", "special_tokens"]
        if unparseable_kind is None:
            variants.append("text_after_answer")
        if unparseable_kind != "truncated":
            variants.append("missing_close")
        kind = rng.choice(variants)
        if kind == "two_think":
            parts.insert(1, "\n<think>\nLet me also restate the key facts before answering.\n</think>")
        elif kind == "special_tokens":
            parts.append(rng.choice(SPECIAL_TOKENS))
        elif kind == "text_after_answer":
            parts.append("\nI hope this helps! Let me know if you have more questions.")
        else:
            parts[0] = parts[0].replace("\n</think>", "")
        return kind
