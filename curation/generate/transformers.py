"""Local generation with a Hugging Face model (CPU or GPU): the tiny test model, small runs, debugging.

A folder or hub id whose config has a vision tower loads as an image-text-to-text
model with its processor (through ``curation.generate.processor``, which also works
without torchvision); anything else loads as a causal LM with its tokenizer's chat
template. Greedy-like requests (top_k 1 or temperature 0) run in batches;
sampled requests run one by one with a seed derived from the request key, so a
resumed run re-creates the same samples.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

from curation.generate.backends import BackendConfig
from curation.generate.base import GenerationRequest, GenerationResult
from curation.store import ImageStore


def stop_token_ids(*ids: int | list[int] | None) -> frozenset[int]:
    """The token ids that end a sample: the generation config's EOS (one id or a list) and the tokenizer's."""
    found: set[int] = set()
    for value in ids:
        if value is not None:
            found.update(value if isinstance(value, list) else [value])
    return frozenset(found)


def generated_end(tokens: list[int], stop_ids: frozenset[int], pad_id: int | None,
                  max_new_tokens: int) -> tuple[int, str]:
    """(completion tokens, finish reason) of one generated row, padding excluded.

    ``generate`` pads a sample that stopped early up to the batch's longest, and the pad id may be an
    EOS id, so the row ends at its first stop token (counted, as servers count it: "stop"); a row
    without one ends before its trailing padding, and finished for "length" only if it used every
    token it was allowed.
    """
    for position, token in enumerate(tokens):
        if token in stop_ids:
            return position + 1, "stop"
    length = len(tokens)
    while length and pad_id is not None and tokens[length - 1] == pad_id:
        length -= 1
    return length, "length" if length >= max_new_tokens else "stop"


class TransformersBackend:
    name = "transformers"

    def __init__(self, config: BackendConfig, images: ImageStore) -> None:
        import torch
        from transformers import AutoConfig

        self.config, self.images, self.model_id, self.retries = config, images, config.model, 0
        self.model = config.model
        self.device = config.device or ("cuda" if torch.cuda.is_available() else "cpu")
        hf_config = AutoConfig.from_pretrained(config.model)
        self.is_vlm = getattr(hf_config, "vision_config", None) is not None
        if self.is_vlm:
            from curation.generate.processor import load_model_and_processor

            self.engine, self.processor = load_model_and_processor(config.model)
            self.tokenizer = self.processor.tokenizer
        else:
            from transformers import AutoModelForCausalLM, AutoTokenizer

            self.engine = AutoModelForCausalLM.from_pretrained(config.model, dtype="auto")
            self.processor = self.tokenizer = AutoTokenizer.from_pretrained(config.model)
        self.tokenizer.padding_side = "left"  # generation appends on the right
        self.engine.to(self.device).eval()
        self.stop_ids = stop_token_ids(self.engine.generation_config.eos_token_id, self.tokenizer.eos_token_id)

    def _chat(self, request: GenerationRequest) -> tuple[list[dict[str, Any]], list[Any]]:
        """Messages in the HF layout (image placeholders) and the PIL images in order."""
        messages, images = [], []
        for message in request.messages:
            content = message["content"]
            if not isinstance(content, str):
                parts = []
                for part in content:
                    if part["type"] == "image":
                        images.append(self.images.open(part["image_sha256"]).convert("RGB"))
                        parts.append({"type": "image"})
                    else:
                        parts.append(part)
                content = parts if self.is_vlm else " ".join(p.get("text", "") for p in parts)
            messages.append({"role": message["role"], "content": content})
        return messages, images

    def _run(self, batch: list[GenerationRequest]) -> list[GenerationResult]:
        import torch

        started = time.perf_counter()
        chats = [self._chat(r) for r in batch]
        texts = [self.processor.apply_chat_template(m, add_generation_prompt=True, tokenize=False) for m, _ in chats]
        images = [image for _, imgs in chats for image in imgs]
        if self.is_vlm:
            inputs = self.processor(text=texts, images=images or None, padding=True, return_tensors="pt")
        else:
            inputs = self.tokenizer(texts, padding=True, return_tensors="pt", add_special_tokens=False)
        inputs = inputs.to(self.device)
        params, n = batch[0].params, batch[0].n
        sample = params.temperature > 0 and params.top_k != 1
        options: dict[str, Any] = {"max_new_tokens": params.max_new_tokens, "num_return_sequences": n,
                                   "do_sample": sample, "pad_token_id": self.tokenizer.pad_token_id}
        if sample:
            options.update(temperature=params.temperature, top_p=params.top_p, top_k=params.top_k or 0)
            torch.manual_seed(int(batch[0].key[:12], 16) + (params.seed or 0))
        with torch.inference_mode():
            output = self.engine.generate(**inputs, **options)
        new_tokens = output[:, inputs["input_ids"].shape[1]:].tolist()
        results = []
        for index, request in enumerate(batch):
            rows = new_tokens[index * n:(index + 1) * n]
            ends = [generated_end(row, self.stop_ids, self.tokenizer.pad_token_id, params.max_new_tokens)
                    for row in rows]
            generated = [row[:length] for row, (length, _) in zip(rows, ends, strict=True)]
            results.append(GenerationResult(
                key=request.key, texts=self.tokenizer.batch_decode(generated, skip_special_tokens=True),
                finish_reasons=[reason for _, reason in ends],
                prompt_tokens=int(inputs["attention_mask"][index].sum()),
                completion_tokens=[length for length, _ in ends],
                latency_s=round(time.perf_counter() - started, 4)))
        return results

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[GenerationResult]:
        groups: dict[tuple, list[GenerationRequest]] = {}
        for request in requests:  # a generate() call shares params and n
            groups.setdefault((request.params, request.n), []).append(request)
        for (params, _), group in groups.items():
            size = self.config.batch_size if params.temperature == 0 or params.top_k == 1 else 1
            for start in range(0, len(group), size):
                try:
                    yield from self._run(group[start:start + size])
                except Exception as exc:  # a bad row (image, length) fails its batch, not the run
                    for request in group[start:start + size]:
                        yield GenerationResult(key=request.key, error=f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        self.engine = None
