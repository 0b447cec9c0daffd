"""The transformers backend with the tiny random-weight Qwen2.5-VL model (built locally, no hub)."""

from __future__ import annotations

from pathlib import Path

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

    server = ChatServer(answer=answer, truncate_words=False).start()
    try:
        remote = make_backend("openai", BackendConfig(model="tiny", base_url=server.url), store.images)
        request = make_request(store, "How many objects are in the figure?", image_seed=None)
        [via_server] = list(remote.generate([request]))
        [direct] = list(local.generate([request]))
    finally:
        server.stop()
    assert via_server.ok and via_server.texts == direct.texts


def test_finish_reason_and_length_come_from_the_generated_tokens(store, tiny_model, tmp_path):
    """A model whose generation config stops on a second EOS id that is also the pad id (as Qwen2.5-VL's
    <|endoftext|>): the sample stops there, so it is "stop" with its real length and no padding in the text."""
    import json
    import shutil

    folder = Path(shutil.copytree(tiny_model, tmp_path / "two-eos"))
    first = make_backend("transformers", BackendConfig(model=str(folder)), store.images)
    requests = [make_request(store, f"What is {i} + 1?", image_seed=None) for i in range(2)]
    [unstopped] = list(first.generate(requests[:1]))
    # the second token of the greedy sample becomes a second EOS id (and the pad token)
    sample_ids = first.tokenizer.encode(unstopped.texts[0], add_special_tokens=False)
    assert len(sample_ids) >= 3 and unstopped.finish_reasons == ["length"]
    stop_id = sample_ids[1]
    stopped_text = first.tokenizer.decode(sample_ids[:2])
    assert unstopped.texts[0].startswith(stopped_text)
    config_path = folder / "generation_config.json"
    config = json.loads(config_path.read_text())
    config["eos_token_id"] = [first.tokenizer.eos_token_id, stop_id]
    config_path.write_text(json.dumps(config))
    backend = make_backend("transformers", BackendConfig(model=str(folder), batch_size=2), store.images)
    backend.tokenizer.pad_token = first.tokenizer.convert_ids_to_tokens(stop_id)  # pad == an EOS id
    results = {r.key: r for r in backend.generate(requests)}
    stopped = results[requests[0].key]
    assert stopped.ok, stopped.error
    assert stopped.finish_reasons == ["stop"]
    assert stopped.texts[0] == stopped_text
    assert stopped.completion_tokens[0] == 2
    for result in results.values():  # the other row of the batch is padded with the same id
        assert result.ok and result.completion_tokens[0] <= 6


@pytest.mark.parametrize(("tokens", "pad", "expected"), [
    ([11, 12, 2, 2, 2, 2], 2, (3, "stop")),  # pad == EOS: the first EOS ends the sample and is counted
    ([11, 12, 7, 0, 0, 0], 0, (3, "stop")),  # stopped on the config's second EOS id (7), padded with 0
    ([11, 12, 13, 14, 15, 16], 2, (6, "length")),  # used every allowed token
    ([11, 12, 13, 0, 0, 0], 0, (3, "stop")),  # ended early without an EOS id (padding follows): not "length"
])
def test_generated_end(tokens, pad, expected):
    from curation.generate.transformers import generated_end, stop_token_ids

    assert generated_end(tokens, stop_token_ids([2, 7], 2), pad, max_new_tokens=6) == expected
