"""``grade``: one response against one gold answer. The batch API is ``curation.verify.batch``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from curation.verify.extract import extract_answer
from curation.verify.mathverify import PER_CALL_SECONDS, verify_bounded
from curation.verify.rules import Pending, decide

Status = Literal["correct", "wrong", "unparseable"]
STATUSES: tuple[Status, ...] = ("correct", "wrong", "unparseable")


@dataclass(frozen=True)
class Verdict:
    """The outcome of grading one response.

    ``status``: "correct", "wrong" or "unparseable" (no final answer could be found).
    ``extracted``: the final answer as written in the response (None when unparseable).
    ``method``: where it was found: "tag", "boxed" or "phrase".
    ``decided_by``: "rules" (the cheap rules), "math_verify", or "timeout" (math-verify ran past
    its bound; the status is then "wrong").
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
    is" phrase. With ``choices`` (A = choices[0]), letters and option texts are mapped both ways.
    """
    try:
        extracted, method = extract_answer(response if isinstance(response, str) else None)
        outcome = decide(gold if isinstance(gold, str) else str(gold), extracted, list(choices or []))
    except Exception:  # noqa: BLE001 - grading must never take a training run down
        return Verdict("wrong", None, None, "error")
    if not isinstance(outcome, Pending):
        return Verdict(outcome, extracted, method, "rules")  # type: ignore[arg-type]
    answer = verify_bounded(outcome.gold, outcome.pred, timeout_s)
    if answer is None:
        return Verdict("wrong", extracted, method, "timeout")
    return Verdict("correct" if answer else "wrong", extracted, method, "math_verify")
