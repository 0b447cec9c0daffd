"""A local Ray (2 CPUs) for the executor tests, and a teacher whose answers exercise every filter."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.generate.chat_server import ChatServer, prompt_text

ray = pytest.importorskip("ray", reason="the ray executor needs the `distributed` extra (pip install 'thinkset[distributed]')")


@pytest.fixture(scope="session")
def local_ray():
    """``ray.init(num_cpus=2)`` once per session: starting Ray costs seconds."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    yield ray
    ray.shutdown()


def teacher_answer(body: dict[str, Any], choice_index: int) -> str:
    """A deterministic teacher for "What is I + 1?": per sample, a clean correct trace, one with a
    reflection after the answer, one over 30 words, one wrong, one without tags; so every filter drops some."""
    match = re.search(r"What is (\d+) \+ 1\?", prompt_text(body))
    number = int(match.group(1)) if match else 0
    right = number + 1
    kind = (number + choice_index + (body.get("seed") or 0)) % 5
    if kind == 0:
        return f"<think>{number} plus one is {right}.</think><answer>{right}</answer>"
    if kind == 1:
        return f"<think>{number} plus one is {right}.</think><answer>{right}</answer> Wait, let me re-check that."
    if kind == 2:
        return "<think>" + " ".join(["counting"] * 40) + f"</think><answer>{right}</answer>"
    if kind == 3:
        return f"<think>I guess.</think><answer>{right + 7}</answer>"
    return f"The answer is {right}."


@pytest.fixture
def teacher_server():
    server = ChatServer(answer=teacher_answer).start()
    yield server
    server.stop()
