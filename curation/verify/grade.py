"""``grade``: one response against one gold answer. The batch API is ``curation.verify.batch``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from curation.verify.extract import extract_answer
from curation.verify.mathverify import ERROR, PER_CALL_SECONDS, verify_bounded
from curation.verify.rules import Pending, decide

Status = Literal["correct", "wrong", "unparseable"]
STATUSES: tuple[Status, ...] = ("correct", "wrong", "unparseable")
DECIDERS = ("rules", "math_verify", "timeout", "error")


@dataclass(frozen=True)
class Verdict:
    """The outcome of grading one response.

    ``status``: "correct", "wrong" or "unparseable" (no final answer could be found, or the grader
    itself failed).
    ``extracted``: the final answer as written in the response (None when none was found).
    ``method``: where it was found: "tag", "boxed", "phrase" or "sentence" (a closing sentence).
    ``decided_by``: "rules" (the cheap rules), "math_verify", "timeout" (math-verify ran past
    its bound; the status is then "wrong") or "error" (the grader failed on this input; the status is
    then "unparseable", never "wrong": a grader bug must not read as a wrong answer).
    """

    status: Status
    extracted: str | None = None
    method: str | None = None
    decided_by: str = "rules"

    @property
    def correct(self) -> bool:
        return self.status == "correct"


def grade(response: str, gold: str, *, choices: list[str] | None = None,
          timeout_s: float = PER_CALL_SECONDS) -> Verdict:
    """Grade ``response`` against ``gold``; never raises, and each math-verify call is bounded.

    The answer is the last ``<answer>`` tag, else the last ``\\boxed{}``, else a final "the answer
    is" phrase, else a closing sentence that states it. With ``choices`` (A = choices[0]), letters
    and option texts are mapped both ways.
    """
    extracted = method = None
    try:
        extracted, method = extract_answer(response if isinstance(response, str) else None)
        outcome = decide(gold if isinstance(gold, str) else str(gold), extracted, list(choices or []))
    except Exception:  # noqa: BLE001 - grading must never take a training run down
        return Verdict("unparseable", extracted, method, "error")
    if not isinstance(outcome, Pending):
        return Verdict(outcome, extracted, method, "rules")  # type: ignore[arg-type]
    answer = verify_bounded(outcome.gold, outcome.pred, timeout_s)
    if answer is None:
        return Verdict("wrong", extracted, method, "timeout")
    if answer == ERROR:
        return Verdict("unparseable", extracted, method, "error")
    return Verdict("correct" if answer else "wrong", extracted, method, "math_verify")
