"""A synthetic R1-style teacher: k reasoning traces per problem with seeded, labelled defects.

It gives every filter real work and makes the funnel's expected counts known::

    teacher = SyntheticTeacher(TeacherConfig(wrong_rate=0.2), seed=0)
    traces = teacher.generate(problem, answer="B", choices=["3", "4"], key=row_id, k=4)
    traces[0].response   # "<think>\n... So the answer is B.\n</think>\n<answer>B</answer>"
    traces[0].labels     # {"reflection": True, "long": False, "wrong": False, ...}

A trace depends only on (seed, key, sample_index), so a resumed run re-creates identical traces.
Each defect is drawn independently per trace at its configured rate; ``equivalent_form`` applies
to the traces that end with a correct answer. Well-formed traces are written with
``curation.verify.trace_format.render``, so the format filter, the checks and the GRPO format
reward accept exactly the traces not labelled ``malformed`` or ``unparseable``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, model_validator

from curation.sources.teacher_forms import equivalent_form, wrong_answer
from curation.sources.teacher_text import reasoning, reflection, summary
from curation.verify.trace_format import ANSWER_OPEN, THINK_CLOSE, THINK_OPEN, render

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
    malformed_rate: float = Field(0.05, ge=0, le=1, description="share of traces with broken format (two think blocks, text between </think> and <answer> or after the answer, missing </think>, special tokens)")
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
    """Writes R1-style traces ``<think>…</think><answer>X</answer>`` with controlled defects."""

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

        unparseable_kind = kinds.get("unparseable")
        if unparseable_kind == "truncated":
            # Cut off mid-sentence, as a generation that hit max_new_tokens.
            response = f"{THINK_OPEN}\n{body} Putting all of this together, the result is"
        elif unparseable_kind == "no_tag":
            response = f"{THINK_OPEN}\n{body}\n{THINK_CLOSE}\n{summary(None, rng)}"
        elif unparseable_kind == "empty_tag":
            response = render(f"{body} {summary(None, rng)}", "")
        else:
            response = render(body, str(stated))
        if labels["malformed"]:
            response, kinds["malformed"] = self._malform(response, unparseable_kind, stated, rng)
        return TeacherTrace(response=response, sample_index=sample_index, labels=labels,
                            final_answer=stated, kinds=kinds)

    @staticmethod
    def _malform(response: str, unparseable_kind: str | None, stated: str | None,
                 rng: random.Random) -> tuple[str, str]:
        """Break the format; only variants that make sense for this trace's shape are drawn."""
        variants = ["two_think", "special_tokens"]
        if unparseable_kind is None:
            variants.append("text_after_answer")
        if unparseable_kind != "truncated":
            variants.append("missing_close")
        if unparseable_kind in (None, "empty_tag"):
            variants.append("text_between")
        kind = rng.choice(variants)
        close = f"\n{THINK_CLOSE}"
        if kind == "two_think":
            extra = f"\n{THINK_OPEN}\nLet me also restate the key facts before answering.\n{THINK_CLOSE}"
            at = response.find(close)
            response = response + extra if at < 0 else response[:at + len(close)] + extra + response[at + len(close):]
        elif kind == "special_tokens":
            response += rng.choice(SPECIAL_TOKENS)
        elif kind == "text_after_answer":
            response += "\nI hope this helps! Let me know if you have more questions."
        elif kind == "missing_close":
            response = response.replace(close, "")
        else:
            # The layout of many chat models: a closing sentence between the reasoning and the answer tag.
            response = response.replace(f"{THINK_CLOSE}\n{ANSWER_OPEN}",
                                        f"{THINK_CLOSE}\n\n{summary(stated, rng)} {ANSWER_OPEN}")
        return response, kind
