"""A tiny Qwen2.5-VL-architecture model for tests and the demo: random weights, a local tokenizer, no hub.

The model has the real architecture (vision tower with window attention and
patch merger, mrope text decoder) at a few hundred thousand parameters, so
SFT and GRPO code paths run on a CPU in seconds. The tokenizer is a byte-level
BPE trained here with ``tokenizers`` on a small built-in corpus; it has the
Qwen2.5-VL special tokens and the official Qwen2.5-VL chat template, so chat
formatting, image placeholder expansion and assistant-only loss masking work
exactly as with the real model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# The chat template of Qwen/Qwen2.5-VL-*-Instruct (TRL ships the same text and maps it to its training variant).
QWEN2_5_VL_CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system\n"
    "You are a helpful assistant.<|im_end|>\n{% endif %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture {{ image_count.value }}: "
    "{% endif %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

EOS = "<|im_end|>"
PAD = "<|endoftext|>"
# Order matters: ids are assigned in this order, and the config's token ids are read back from the tokenizer.
SPECIAL_TOKENS = [PAD, "<|im_start|>", EOS, "<|vision_start|>", "<|vision_end|>", "<|image_pad|>",
                  "<|video_pad|>"]
# Reasoning markers are ordinary added tokens in Qwen; here they are whole tokens too, so a format reward
# can be learned in a few steps.
REASONING_TOKENS = ["<think>", "</think>", "<answer>", "</answer>"]


def phrase_tokens() -> list[str]:
    """The synthetic teacher's stock sentences as whole tokens (with and without a leading space).

    A random-weight model of this size learns the trace layout (reasoning, then ``</think>``, then
    ``<answer>X</answer>``) from the demo's curated traces in a few CPU steps only when a trace is a
    few dozen tokens, not several hundred; real tokenizers get there with a large vocabulary instead.
    """
    from curation.sources.teacher_text import LONG_STEPS, STEPS

    phrases = [*STEPS, *LONG_STEPS, "Let me read the question carefully:", "So the answer is"]
    return [variant for phrase in phrases for variant in (phrase, " " + phrase)]

# Enough text for the BPE to learn merges for the words the demo and tests use.
CORPUS = [
    "system\nYou are a helpful assistant.", "user", "assistant",
    "Answer the question about the image. Think step by step inside <think> </think> tags, "
    "then give the final answer inside <answer> </answer> tags.",
    "What is the area of the triangle? How many objects are in the figure? Which shape is red?",
    "The answer is 12. The length of the side is 5 and the angle is 30 degrees, so the result is 7.",
    "Choices: (A) 3 (B) 4 (C) 5 (D) 6. Select the correct option.",
    "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 25 30 45 60 90 100",
    "red green blue yellow circle square triangle bar chart table plot value label",
]


def corpus() -> list[str]:
    """CORPUS plus the words of the demo's synthetic problems and traces (the pool's question templates)."""
    from curation.sources.synthetic import generate_problems
    from curation.sources.teacher_text import NO_ANSWER, SUMMARIES

    questions = sorted({p.problem for p in generate_problems(60, seed=0)})
    return [*CORPUS, *SUMMARIES, *NO_ANSWER, *questions]


def build_tokenizer(vocab_size: int = 1000) -> Any:
    """A byte-level BPE tokenizer with the Qwen2.5-VL special tokens and chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    backend.train_from_iterator(corpus() * 4, trainer)
    # Not special: decoding with skip_special_tokens (as TRL does for completions) must keep them.
    backend.add_tokens(REASONING_TOKENS + phrase_tokens())
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, eos_token=EOS, pad_token=PAD,
                                        additional_special_tokens=SPECIAL_TOKENS[1:])
    tokenizer.chat_template = QWEN2_5_VL_CHAT_TEMPLATE
    return tokenizer


def build_config(tokenizer: Any, *, hidden_size: int = 64, text_layers: int = 2, vision_depth: int = 2,
                 vision_hidden: int = 32) -> Any:
    """A Qwen2.5-VL config at toy size whose token ids match ``tokenizer``."""
    from transformers import Qwen2_5_VLConfig

    ids = tokenizer.convert_tokens_to_ids
    text_config = dict(
        vocab_size=len(tokenizer), hidden_size=hidden_size, intermediate_size=2 * hidden_size,
        num_hidden_layers=text_layers, num_attention_heads=4, num_key_value_heads=2,
        max_position_embeddings=4096, rope_parameters={"rope_type": "default", "rope_theta": 1_000_000.0,
                                                       "mrope_section": [2, 3, 3]},
        bos_token_id=ids(PAD), eos_token_id=ids(EOS), pad_token_id=ids(PAD),
    )
    vision_config = dict(
        depth=vision_depth, hidden_size=vision_hidden, intermediate_size=2 * vision_hidden, num_heads=2,
        out_hidden_size=hidden_size, fullatt_block_indexes=[vision_depth - 1], window_size=112,
        patch_size=14, spatial_merge_size=2, temporal_patch_size=2,
    )
    return Qwen2_5_VLConfig(
        text_config=text_config, vision_config=vision_config, image_token_id=ids("<|image_pad|>"),
        video_token_id=ids("<|video_pad|>"), vision_start_token_id=ids("<|vision_start|>"),
        vision_end_token_id=ids("<|vision_end|>"), tie_word_embeddings=False,
    )


def build_processor(tokenizer: Any, *, max_pixels: int = 112 * 112, min_pixels: int = 28 * 28) -> Any:
    """A Qwen2.5-VL processor with the PIL image processor (no torchvision needed)."""
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    from training.loading import Qwen2_5_VLImageOnlyProcessor

    image_processor = Qwen2VLImageProcessorPil(size={"shortest_edge": min_pixels, "longest_edge": max_pixels})
    return Qwen2_5_VLImageOnlyProcessor(image_processor=image_processor, tokenizer=tokenizer,
                                        chat_template=QWEN2_5_VL_CHAT_TEMPLATE)


def import_model_classes() -> None:
    """Import what building needs (torch, transformers' Qwen2.5-VL), so timing a build excludes imports."""
    from transformers import Qwen2_5_VLForConditionalGeneration, Qwen2_5_VLProcessor  # noqa: F401


def build_tiny_model(out_dir: str | Path, *, seed: int = 0, max_pixels: int = 112 * 112) -> Path:
    """Write a random-weight tiny Qwen2.5-VL model and its processor to ``out_dir`` (standard HF layout).

    ``max_pixels`` bounds the image size the processor produces (112*112 = 16 merged image tokens),
    which keeps CPU runs fast. Returns the folder.
    """
    import torch
    from transformers import GenerationConfig, Qwen2_5_VLForConditionalGeneration

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer()
    config = build_config(tokenizer)
    torch.manual_seed(seed)
    model = Qwen2_5_VLForConditionalGeneration(config)
    model.generation_config = GenerationConfig(
        eos_token_id=config.text_config.eos_token_id, pad_token_id=config.text_config.pad_token_id,
        bos_token_id=config.text_config.bos_token_id)
    model.save_pretrained(out)
    build_processor(tokenizer, max_pixels=max_pixels).save_pretrained(out)
    (out / "thinkset_tiny_model.json").write_text(json.dumps(
        {"parameters": sum(p.numel() for p in model.parameters()), "seed": seed,
         "note": "random weights; for tests and the demo only"}, indent=2))
    return out
