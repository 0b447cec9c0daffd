"""Load a model for a trainer: bf16 or fp32 weights, 4-bit when QLoRA is asked for, and its LoRA config.

Models and processors themselves load through ``curation.generate.processor`` (shared with generation);
its public names are re-exported here for training code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from curation.generate.processor import (
    STANDARD_PROCESSOR_CLASS,
    Qwen2_5_VLImageOnlyProcessor,
    load_image_only_processor,
    load_model,
    load_model_and_processor,
    load_processor,
    pixel_bounds,
    set_pixel_bounds,
)

__all__ = ["STANDARD_PROCESSOR_CLASS", "Qwen2_5_VLImageOnlyProcessor", "load_for_training",
           "load_image_only_processor", "load_model", "load_model_and_processor", "load_processor",
           "pixel_bounds", "set_pixel_bounds"]


def load_for_training(source: str | Path, *, bf16: bool, lora: Any = None) -> tuple[Any, Any]:
    """(model, peft_config or None) for a trainer: bf16 or fp32 weights, 4-bit when QLoRA is asked for."""
    import torch

    kwargs: dict[str, Any] = {}
    if lora is not None and lora.load_in_4bit:
        from transformers import BitsAndBytesConfig  # needs bitsandbytes and a GPU

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4",
            bnb_4bit_compute_dtype=torch.bfloat16 if bf16 else torch.float32)
    model = load_model(source, dtype=torch.bfloat16 if bf16 else torch.float32, **kwargs)
    if lora is None:
        return model, None
    from peft import LoraConfig

    return model, LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                             target_modules=lora.target_modules, task_type="CAUSAL_LM")
