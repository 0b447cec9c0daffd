"""The tiny model is a real Qwen2.5-VL: standard folder, official chat template, images through the vision tower."""

from __future__ import annotations

import json

import torch
from PIL import Image

from training.loading import load_model, load_processor
from training.tiny_model import QWEN2_5_VL_CHAT_TEMPLATE, build_tiny_model


def test_folder_is_standard_and_small(tiny_model_dir):
    config = json.loads((tiny_model_dir / "config.json").read_text())
    assert config["model_type"] == "qwen2_5_vl"
    assert config["text_config"]["rope_parameters"]["mrope_section"] == [2, 3, 3]
    assert config["vision_config"]["depth"] == 2 and config["vision_config"]["hidden_size"] == 32
    processor_config = json.loads((tiny_model_dir / "processor_config.json").read_text())
    assert processor_config["processor_class"] == "Qwen2_5_VLProcessor"  # loads as a normal Qwen2.5-VL folder
    model = load_model(tiny_model_dir, dtype="float32")
    parameters = sum(p.numel() for p in model.parameters())
    assert 100_000 < parameters < 400_000


def test_chat_template_is_the_official_one(tiny_model_dir):
    from trl.chat_template_utils import qwen2_5_vl_chat_template

    processor = load_processor(tiny_model_dir)
    assert processor.chat_template == QWEN2_5_VL_CHAT_TEMPLATE == qwen2_5_vl_chat_template
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "How many?"}]}]
    text = processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert text == ("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
                    "<|vision_start|><|image_pad|><|vision_end|>How many?<|im_end|>\n<|im_start|>assistant\n")


def test_special_and_reasoning_tokens(tiny_model_dir):
    tokenizer = load_processor(tiny_model_dir).tokenizer
    for token in ("<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|image_pad|>", "<|vision_end|>",
                  "<think>", "</think>", "<answer>", "</answer>"):
        assert len(tokenizer.encode(token, add_special_tokens=False)) == 1, token
    ids = tokenizer.encode("<think>1</think><answer>2</answer>", add_special_tokens=False)
    # Reasoning tags survive skip_special_tokens (TRL decodes completions that way before rewards).
    assert tokenizer.decode(ids, skip_special_tokens=True) == "<think>1</think><answer>2</answer>"


def test_image_goes_through_the_vision_tower(tiny_model_dir):
    processor = load_processor(tiny_model_dir)
    model = load_model(tiny_model_dir, dtype="float32")
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What is it?"}]}]
    text = processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    red = processor(text=[text], images=[Image.new("RGB", (90, 60), "red")], return_tensors="pt")
    blue = processor(text=[text], images=[Image.new("RGB", (90, 60), "blue")], return_tensors="pt")
    image_tokens = int((red["input_ids"] == model.config.image_token_id).sum())
    assert image_tokens == int(red["image_grid_thw"].prod()) // 4  # 2x2 merge
    with torch.no_grad():
        logits_red = model(**red).logits[0, -1]
        logits_blue = model(**blue).logits[0, -1]
        generated = model.generate(**red, max_new_tokens=4, do_sample=False)
    assert not torch.allclose(logits_red, logits_blue)  # the image changes the prediction
    assert generated.shape[1] > red["input_ids"].shape[1]


def test_same_seed_same_weights(tmp_path):
    first = build_tiny_model(tmp_path / "a", seed=1)
    second = build_tiny_model(tmp_path / "b", seed=1)
    assert (first / "model.safetensors").read_bytes() == (second / "model.safetensors").read_bytes()
