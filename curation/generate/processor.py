"""Load a VLM and its processor from a folder or a hub id, with or without torchvision.

Generation (the transformers backend) and training (``training.loading``) both load models here.

transformers builds Qwen2.5-VL's video processor (and its fast image
processor) on torchvision. torchvision cannot be installed beside the CPU torch
build used here, so ``load_processor`` falls back to an image-only processor:
the PIL image processor, the tokenizer and the chat template of the same
folder. It formats chats, expands image placeholders and batches exactly as the
full processor does for images; only videos are unsupported. Saved folders keep
the standard ``Qwen2_5_VLProcessor`` name, so they load with the full
processor wherever torchvision is present.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from transformers import Qwen2_5_VLProcessor
from transformers.processing_utils import ProcessorMixin
from transformers.utils import is_torchvision_available

log = logging.getLogger(__name__)

STANDARD_PROCESSOR_CLASS = "Qwen2_5_VLProcessor"


class Qwen2_5_VLImageOnlyProcessor(Qwen2_5_VLProcessor):
    """Qwen2.5-VL processor without a video processor (so without torchvision).

    Saves itself under the standard class name so the folder stays a normal Qwen2.5-VL folder.
    """

    def __init__(self, image_processor: Any = None, tokenizer: Any = None, chat_template: str | None = None,
                 **kwargs: Any) -> None:
        self.image_token = getattr(tokenizer, "image_token", None) or "<|image_pad|>"
        self.video_token = getattr(tokenizer, "video_token", None) or "<|video_pad|>"
        self.image_token_id = tokenizer.convert_tokens_to_ids(self.image_token)
        self.video_token_id = tokenizer.convert_tokens_to_ids(self.video_token)
        # Skip Qwen2_5_VLProcessor.__init__: it type-checks a video processor class that needs torchvision.
        ProcessorMixin.__init__(self, image_processor, tokenizer, chat_template=chat_template)
        self.video_processor = None

    def save_pretrained(self, save_directory: str | Path, push_to_hub: bool = False, **kwargs: Any) -> list[str]:
        result = super().save_pretrained(save_directory, push_to_hub=push_to_hub, **kwargs)
        for name in ("processor_config.json", "tokenizer_config.json"):
            path = Path(save_directory) / name
            if path.exists():
                data = json.loads(path.read_text())
                if data.get("processor_class") == type(self).__name__:
                    data["processor_class"] = STANDARD_PROCESSOR_CLASS
                    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return result


def _chat_template_of(source: str | Path, tokenizer: Any, **hub_kwargs: Any) -> str | None:
    """The chat template of a folder or hub repo: chat_template.jinja/json, else the tokenizer's."""
    from transformers.utils import cached_file

    for name in ("chat_template.jinja", "chat_template.json"):
        try:
            path = cached_file(str(source), name, _raise_exceptions_for_missing_entries=False, **hub_kwargs)
        except OSError:
            path = None
        if path:
            text = Path(path).read_text()
            return json.loads(text)["chat_template"] if name.endswith(".json") else text
    return getattr(tokenizer, "chat_template", None)


def load_image_only_processor(source: str | Path, **hub_kwargs: Any) -> Qwen2_5_VLImageOnlyProcessor:
    """The PIL-based, image-only processor of ``source`` (a folder or a hub id)."""
    from transformers import AutoTokenizer
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    tokenizer = AutoTokenizer.from_pretrained(str(source), **hub_kwargs)
    image_processor = Qwen2VLImageProcessorPil.from_pretrained(str(source), **hub_kwargs)
    return Qwen2_5_VLImageOnlyProcessor(image_processor=image_processor, tokenizer=tokenizer,
                                        chat_template=_chat_template_of(source, tokenizer, **hub_kwargs))


def load_processor(source: str | Path, *, max_pixels: int | None = None, min_pixels: int | None = None,
                   **hub_kwargs: Any) -> ProcessorMixin:
    """The processor of ``source``; the full one when torchvision is present, else the image-only one.

    ``max_pixels``/``min_pixels`` override the image processor's resize bounds (the paper: 262144).
    """
    processor: ProcessorMixin
    if is_torchvision_available():
        from transformers import AutoProcessor

        processor = AutoProcessor.from_pretrained(str(source), **hub_kwargs)
    else:
        log.info("torchvision is not installed: loading the image-only processor of %s", source)
        processor = load_image_only_processor(source, **hub_kwargs)
    set_pixel_bounds(processor, max_pixels=max_pixels, min_pixels=min_pixels)
    return processor


def set_pixel_bounds(processor: Any, *, max_pixels: int | None = None, min_pixels: int | None = None) -> None:
    """Set the image processor's resize bounds (``size``; the legacy fields too where a version still has them)."""
    image_processor = processor.image_processor
    size = dict(image_processor.size or {})
    for key, legacy, value in (("longest_edge", "max_pixels", max_pixels), ("shortest_edge", "min_pixels", min_pixels)):
        if value is None:
            continue
        size[key] = value
        if getattr(image_processor, legacy, None) is not None:
            setattr(image_processor, legacy, value)
    image_processor.size = size


def pixel_bounds(processor: Any) -> tuple[int, int]:
    """(min_pixels, max_pixels) the processor resizes images into."""
    image_processor = processor.image_processor
    size = dict(getattr(image_processor, "size", None) or {})
    max_pixels = size.get("longest_edge") or getattr(image_processor, "max_pixels", None) or 28 * 28 * 1280
    min_pixels = size.get("shortest_edge") or getattr(image_processor, "min_pixels", None) or 56 * 56
    return int(min_pixels), int(max_pixels)


def load_model(source: str | Path, *, dtype: str = "auto", **kwargs: Any) -> Any:
    """The image-text-to-text model of ``source`` (a folder or a hub id)."""
    from transformers import AutoModelForImageTextToText

    return AutoModelForImageTextToText.from_pretrained(str(source), dtype=dtype, **kwargs)


def load_model_and_processor(source: str | Path, *, max_pixels: int | None = None,
                             dtype: str = "auto") -> tuple[Any, ProcessorMixin]:
    """Both halves of a saved VLM folder, ready for training or generation."""
    return load_model(source, dtype=dtype), load_processor(source, max_pixels=max_pixels)
