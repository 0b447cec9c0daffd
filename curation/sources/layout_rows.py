"""One parser per layout: a raw row (fields already renamed by the column mapping) -> record fields.

A parser returns ``problem, answer, choices, image values, source, extra metadata`` or raises
`RowError` with a reason the caller quarantines (``no_answer``, ``no_problem``, ``image_count_mismatch``,
``mistyped_field``, ``bad_answer`` for NaN/inf, ``text_too_long``). Control characters (other than tab and
line breaks) and bidirectional overrides are removed from texts: they are invisible, break terminals and
tokenizers, and can make a text read differently from what it is.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from curation.sources.images import RowError, as_list
from curation.verify.extract import extract_answer

IMAGE_TOKEN = "<image>"
USER_ROLES = {"user", "human"}
ASSISTANT_ROLES = {"assistant", "gpt"}
MAX_TEXT_CHARS = 100_000  # a problem or answer longer than this is not a training example (a 1 MB paste is)
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


@dataclass
class ParsedRow:
    problem: str
    answer: str
    choices: list[str] = field(default_factory=list)
    images: list[Any] = field(default_factory=list)
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def reply_answer(text: str, pattern: str | None) -> str | None:
    """The answer in a reply: ``pattern``'s group 1 if given; else what the grader reads
    (``curation.verify.extract``: the last ``<answer>`` tag, else ``\\boxed{X}``, else "the answer is X")."""
    if pattern is None:
        answer, _ = extract_answer(text)
        return answer or None
    matches = list(re.finditer(pattern, text))
    if not matches:
        return None
    last = matches[-1]
    return (last.group(1) if last.re.groups else last.group(0)).strip() or None


def _text(value: Any, name: str = "text") -> str:
    """A text field: strings, numbers, or a one-item list of them; anything else is a mistyped field."""
    if isinstance(value, list | tuple) and len(value) == 1:
        return _text(value[0], name)
    if value is None:
        return ""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RowError("bad_answer" if name == "answer" else "mistyped_field",
                           f"the {name} field is {value} (not a finite number)")
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
    elif not isinstance(value, str | int):  # bool is an int: True/False stay readable
        raise RowError("mistyped_field", f"the {name} field is a {type(value).__name__} ({str(value)[:60]!r}), "
                       "expected text or a number; map another column or fix the row")
    text = _INVISIBLE.sub("", str(value)).strip()
    if len(text) > MAX_TEXT_CHARS:
        raise RowError("text_too_long", f"the {name} field has {len(text):,} characters "
                       f"(more than {MAX_TEXT_CHARS:,}); shorten it or drop the row")
    return text


def _strip_image_tokens(text: str) -> str:
    return re.sub(r"\s*<image>\s*", " ", text).strip() if IMAGE_TOKEN in text else text.strip()


def _choices(value: Any) -> list[str]:
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return [value]
    return [_text(v, "choices") for v in as_list(value)]


def _check_placeholders(problem: str, images: list[Any]) -> None:
    placeholders = problem.count(IMAGE_TOKEN)
    if placeholders and placeholders != len(images):
        raise RowError("image_count_mismatch",
                       f"the prompt has {placeholders} {IMAGE_TOKEN} placeholder(s) but the row has {len(images)} image(s)")


def parse_problem_answer(row: dict[str, Any], pattern: str | None) -> ParsedRow:
    """``hf`` and ``easyr1``: problem, answer, optional source/choices, image(s) in columns."""
    problem = _text(row.get("problem"), "problem")
    answer = _text(row.get("answer"), "answer")
    if pattern is not None and answer:
        answer = reply_answer(answer, pattern) or ""
    if not problem:
        raise RowError("no_problem", "the problem field is empty")
    if not answer:
        raise RowError("no_answer", "the answer field is empty")
    images = as_list(row.get("images")) or as_list(row.get("image"))
    _check_placeholders(problem, images)
    return ParsedRow(problem=_strip_image_tokens(problem), answer=answer, choices=_choices(row.get("choices")),
                     images=images, source=_text(row.get("source"), "source") or None)


def _turns(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, str):
        value = json.loads(value)
    turns = []
    for turn in as_list(value):
        role = str(turn.get("role", turn.get("from", ""))).lower()
        content = turn.get("content", turn.get("value", ""))
        if isinstance(content, list):  # OpenAI-style content parts
            content = " ".join(part.get("text", IMAGE_TOKEN if part.get("type") == "image" else "")
                               for part in content if isinstance(part, dict))
        turns.append((role, str(content or "")))
    return turns


def parse_conversation(row: dict[str, Any], pattern: str | None) -> ParsedRow:
    """``sharegpt`` and ``llava``: the first user turn is the problem; the answer is extracted from
    the last assistant turn, whose full text is kept as ``reference_response`` in the metadata."""
    turns = _turns(row.get("messages"))
    users = [content for role, content in turns if role in USER_ROLES]
    replies = [content for role, content in turns if role in ASSISTANT_ROLES]
    if not users:
        raise RowError("no_problem", f"no user/human turn among roles {sorted({r for r, _ in turns})}")
    if not replies:
        raise RowError("no_answer", "no assistant/gpt turn to take the answer from")
    answer = reply_answer(replies[-1], pattern)
    if answer is None:
        tail = replies[-1][-80:].replace("\n", " ")
        how = f"pattern {pattern!r}" if pattern else "an <answer> tag, \\boxed{} or 'the answer is ...'"
        raise RowError("no_answer", f"the final assistant turn has no answer matching {how}: ...{tail!r}")
    images = as_list(row.get("images")) or as_list(row.get("image"))
    prompt = "\n".join(users)
    _check_placeholders(prompt, images)
    return ParsedRow(problem=_text(_strip_image_tokens(users[0]), "problem"), answer=_text(answer, "answer"),
                     images=images, source=_text(row.get("source"), "source") or None,
                     extra={"reference_response": _text(replies[-1], "reply")})


PARSERS: dict[str, Callable[[dict[str, Any], str | None], ParsedRow]] = {
    "hf": parse_problem_answer,
    "easyr1": parse_problem_answer,
    "sharegpt": parse_conversation,
    "llava": parse_conversation,
}
