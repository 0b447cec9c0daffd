"""The generation protocol every backend speaks: requests in, results out (in any order).

A request is a list of chat messages in the OpenAI layout, except that an image
part is ``{"type": "image", "image_sha256": SHA}`` — a reference into the
store's image store, so the request's content key depends on the image hash
and not on an encoding. Each backend turns those parts into what its engine
wants (data URLs, PIL images).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from curation.schema import row_id


class SamplingParams(BaseModel):
    """Decoding settings shared by all backends (names as in vLLM/transformers)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_new_tokens: int = Field(2048, gt=0, description="most tokens generated per sample")
    temperature: float = Field(0.01, ge=0, description="softmax temperature; ~0 is greedy-like")
    top_p: float = Field(0.001, gt=0, le=1, description="nucleus sampling mass")
    top_k: int | None = Field(1, description="keep the k most likely tokens; None = no limit")
    seed: int | None = Field(None, description="per-request seed (the sample index is added); None = server's choice")
    stop: tuple[str, ...] = Field((), description="stop strings")


# The paper's inference setting (greedy-like) and two sampling settings for k > 1 samples.
PRESETS: dict[str, SamplingParams] = {
    "greedy": SamplingParams(),
    # DeepSeek's recommendation for the R1-distill reasoners the paper uses in iteration 1.
    "sampling": SamplingParams(temperature=0.6, top_p=0.95, top_k=None),
    # The paper's GRPO rollout temperature.
    "rollout": SamplingParams(temperature=1.0, top_p=1.0, top_k=None),
}
PresetName = Literal["greedy", "sampling", "rollout"]


@dataclass(frozen=True)
class GenerationRequest:
    """One prompt asking for ``n`` samples, numbered ``first_sample`` .. ``first_sample + n - 1``.

    ``context`` carries row fields (gold answer, caption) that only the synthetic
    backend reads; it is not part of the content key.
    """

    key: str
    messages: list[dict[str, Any]]
    params: SamplingParams
    n: int = 1
    first_sample: int = 0
    context: dict[str, Any] | None = None

    @property
    def seed(self) -> int | None:
        return None if self.params.seed is None else self.params.seed + self.first_sample


@dataclass
class GenerationResult:
    """What came back for one request; ``error`` is set (and texts empty) when it failed for good."""

    key: str
    texts: list[str] = field(default_factory=list)
    finish_reasons: list[str | None] = field(default_factory=list)
    prompt_tokens: int | None = None
    completion_tokens: list[int | None] = field(default_factory=list)
    latency_s: float = 0.0
    attempts: int = 1
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> str:
        return json.dumps({"texts": self.texts, "finish_reasons": self.finish_reasons,
                           "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                           "latency_s": self.latency_s, "attempts": self.attempts, "error": self.error},
                          ensure_ascii=False)

    @classmethod
    def from_json(cls, key: str, text: str) -> GenerationResult:
        return cls(key=key, **json.loads(text))


class Backend(Protocol):
    """A generation engine. ``generate`` yields one result per request, in completion order."""

    name: str
    model: str
    retries: int  # retried attempts so far (for the progress bar)

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[GenerationResult]: ...

    def close(self) -> None: ...


def request_key(model: str, params: SamplingParams, messages: list[dict[str, Any]], first_sample: int,
                n: int) -> str:
    """Content key of a request: model id, params, messages (images by sha256) and sample numbers.

    The backend and server are not part of it: the same model behind vLLM or an
    OpenAI-compatible server answers the same request.
    """
    return row_id("generation", model, params.model_dump(mode="json"), messages, first_sample, n)


def text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def image_part(sha256: str) -> dict[str, Any]:
    return {"type": "image", "image_sha256": sha256}


def image_mime(data: bytes) -> str:
    """MIME type from the magic bytes (what a data URL must declare)."""
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    return "application/octet-stream"


def data_url(data: bytes) -> str:
    return f"data:{image_mime(data)};base64,{base64.b64encode(data).decode('ascii')}"


def openai_messages(messages: list[dict[str, Any]], image_url: Callable[[str], str]) -> list[dict[str, Any]]:
    """``messages`` in the OpenAI chat layout: image parts become ``image_url`` parts (``image_url(sha)``)."""
    out = []
    for message in messages:
        content = message["content"]
        if not isinstance(content, str):
            content = [{"type": "image_url", "image_url": {"url": image_url(part["image_sha256"])}}
                       if part["type"] == "image" else part for part in content]
        out.append({**message, "content": content})
    return out
