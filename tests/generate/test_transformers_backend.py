"""The transformers backend with the tiny random-weight Qwen2.5-VL model (built locally, no hub)."""

from __future__ import annotations

import pytest

from curation.generate.backends import BackendConfig, make_backend
from curation.generate.base import PRESETS, GenerationRequest, image_part, request_key, text_part
from tests.conftest import png_bytes

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from training.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-vlm"))


def make_request(store, text: str, *, preset: str = "greedy", n: int = 1, image_seed: int | None = 0):
    content = [image_part(store.images.put(png_bytes(image_seed)))] if image_seed is not None else []
    messages = [{"role": "user", "content": [*content, text_part(text)]}]
    params = PRESETS[preset].model_copy(update={"max_new_tokens": 6})
    return GenerationRequest(key=request_key("tiny", params, messages, 0, n), messages=messages, params=params, n=n)


def test_greedy_batch_with_images_is_deterministic(store, tiny_model):
    backend = make_backend("transformers", BackendConfig(model=str(tiny_model), batch_size=2), store.images)
    requests = [make_request(store, f"What is {i} + 1?", image_seed=i) for i in range(3)]
    first = {r.key: r for r in backend.generate(requests)}
    again = {r.key: r for r in backend.generate(requests[::-1])}
    assert set(first) == {r.key for r in requests}
    for key, result in first.items():
        assert result.ok, result.error
        assert result.texts == again[key].texts  # batch composition does not change greedy output
        assert 1 <= result.completion_tokens[0] <= 6 and result.prompt_tokens > 16  # 16 image tokens + text
        assert result.finish_reasons[0] in ("stop", "length")


def test_sampling_n_samples_are_reproducible(store, tiny_model):
    backend = make_backend("transformers", BackendConfig(model=str(tiny_model)), store.images)
    request = make_request(store, "Which shape is red?", preset="rollout", n=3, image_seed=None)
    [first] = list(backend.generate([request]))
    [again] = list(backend.generate([request]))
    assert first.ok and len(first.texts) == 3 and first.texts == again.texts


def test_the_local_server_can_answer_from_the_tiny_model(store, tiny_model):
    from tests.generate.chat_server import ChatServer

    local = make_backend("transformers", BackendConfig(model=str(tiny_model)), store.images)

    def answer(body: dict, choice_index: int) -> str:
        params = PRESETS["greedy"].model_copy(update={"max_new_tokens": body["max_tokens"]})
        request = GenerationRequest(key=request_key("tiny", params, body["messages"], 0, 1),
                                    messages=body["messages"], params=params)
        [result] = list(local.generate([request]))
        return result.texts[0]

    server = ChatServer(answer=answer).start()
    try:
        remote = make_backend("openai", BackendConfig(model="tiny", base_url=server.url), store.images)
        request = make_request(store, "How many objects are in the figure?", image_seed=None)
        [via_server] = list(remote.generate([request]))
        [direct] = list(local.generate([request]))
    finally:
        server.stop()
    assert via_server.ok and via_server.texts == direct.texts
