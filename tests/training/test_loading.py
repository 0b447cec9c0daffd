"""Loading without torchvision: the image-only processor batches images exactly like the full one would."""

from __future__ import annotations

import json

import pytest
from PIL import Image
from transformers.utils import is_torchvision_available

from training.loading import (
    Qwen2_5_VLImageOnlyProcessor,
    load_image_only_processor,
    load_processor,
    pixel_bounds,
    set_pixel_bounds,
)


def test_loads_without_torchvision(tiny_model_dir):
    if is_torchvision_available():
        pytest.skip("torchvision is installed here; the fallback is what this test is about")
    processor = load_processor(tiny_model_dir)
    assert isinstance(processor, Qwen2_5_VLImageOnlyProcessor)
    assert processor.video_processor is None


def test_pixel_bounds_override_changes_the_image_tokens(tiny_model_dir):
    processor = load_image_only_processor(tiny_model_dir)
    assert pixel_bounds(processor) == (28 * 28, 112 * 112)
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "x"}]}]
    text = processor.apply_chat_template(messages, tokenize=False)
    image = Image.new("RGB", (400, 300), "white")
    small = processor(text=[text], images=[image], return_tensors="pt")["image_grid_thw"]
    set_pixel_bounds(processor, max_pixels=224 * 224)
    large = processor(text=[text], images=[image], return_tensors="pt")["image_grid_thw"]
    assert int(small.prod()) * 14 * 14 <= 112 * 112
    assert int(large.prod()) > int(small.prod())


def test_saved_folder_round_trips_under_the_standard_name(tiny_model_dir, tmp_path):
    processor = load_image_only_processor(tiny_model_dir)
    processor.save_pretrained(tmp_path)
    for name in ("processor_config.json", "tokenizer_config.json"):
        assert json.loads((tmp_path / name).read_text())["processor_class"] == "Qwen2_5_VLProcessor"
    again = load_image_only_processor(tmp_path)
    assert again.chat_template == processor.chat_template
    assert again.tokenizer.get_vocab() == processor.tokenizer.get_vocab()
