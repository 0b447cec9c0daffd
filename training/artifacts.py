"""What a finished training run leaves behind: the model folder, its card, its log, its catalog entry.

The folder is a standard Hugging Face one (``config.json``, safetensors,
processor and tokenizer files) plus ``README.md`` (the model card),
``log_history.json`` (every TRL log line) and ``thinkset_training.json`` (what
was trained on what, with which preset). The model is registered in the store's
catalog with a ``trained_on`` edge to the snapshot, and a ``fine_tuned_from``
edge to the base model when the base is itself a registered model. Its id is a content id
(``training.identity``): the same base, snapshot, preset, seed and code give the same id in any store, and
a second registration of it returns the first.
"""

from __future__ import annotations

import json
import platform
import resource
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from curation.store import Snapshot, Store
from curation.templates import render
from training.identity import model_id

RUN_FILE = "thinkset_training.json"


@dataclass
class TrainResult:
    """A finished run: where the model is, its catalog id, and its figures."""

    mode: str
    output_dir: Path
    artifact_id: str
    metrics: dict[str, Any] = field(default_factory=dict)
    log_history: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["output_dir"] = str(self.output_dir)
        data.pop("log_history")
        return data


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


def versions() -> dict[str, str]:
    import torch
    import transformers
    import trl

    return {"python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__, "trl": trl.__version__}


def final_metrics(log_history: list[dict[str, Any]], train_metrics: dict[str, Any]) -> dict[str, Any]:
    """The last logged value of every metric, plus the trainer's summary (runtime, mean loss)."""
    metrics: dict[str, Any] = {}
    for entry in log_history:
        metrics.update({k: v for k, v in entry.items() if isinstance(v, int | float)})
    metrics.update({k: v for k, v in train_metrics.items() if isinstance(v, int | float)})
    return {k: round(v, 6) if isinstance(v, float) else v for k, v in metrics.items()}


def trained_model_of(path: str | Path) -> dict[str, Any] | None:
    """The run record of a thinkset-trained model folder, None for anything else (a hub id, a base model)."""
    run_file = Path(path) / RUN_FILE
    return json.loads(run_file.read_text()) if run_file.is_file() else None


def save_model(trainer: Any, processor: Any, output_dir: Path, *, merge_lora: bool) -> None:
    """Save weights (LoRA merged unless 4-bit) and the processor in standard Hugging Face layout."""
    model = trainer.model
    if hasattr(model, "merge_and_unload") and merge_lora:
        model = model.merge_and_unload()
    model.save_pretrained(output_dir)
    processor.save_pretrained(output_dir)


def write_card(output_dir: Path, context: dict[str, Any]) -> Path:
    front = {"base_model": context["base_model"], "library_name": "transformers",
             "pipeline_tag": "image-text-to-text", "tags": ["thinkset", "trl", context["mode"], "openvlthinker"]}
    text = render("model_card.md.j2", front_matter=yaml.safe_dump(front, sort_keys=False).strip(), **context)
    path = output_dir / "README.md"
    path.write_text(text)
    return path


def finish_run(*, mode: str, trainer: Any, processor: Any, output_dir: Path, store: Store, snapshot: Snapshot,
               base: str, preset_name: str, preset: Any, rows_used: int, train_metrics: dict[str, Any],
               model_name: str | None = None) -> TrainResult:
    """Save, document and register a finished run; returns its ``TrainResult``."""
    output_dir.mkdir(parents=True, exist_ok=True)
    lora = getattr(preset, "lora", None)
    save_model(trainer, processor, output_dir, merge_lora=not (lora is not None and lora.load_in_4bit))
    log_history = list(trainer.state.log_history)
    (output_dir / "log_history.json").write_text(json.dumps(log_history, indent=2, default=str))
    metrics = {**final_metrics(log_history, train_metrics), "peak_rss_mib": peak_rss_mib()}
    info = snapshot.info
    name = model_name or f"{mode}-{info.name}"
    preset_dump = preset.model_dump(mode="json")
    record = {"mode": mode, "base_model": base, "snapshot": info.ref, "snapshot_id": info.id,
              "preset": preset_name, "preset_fields": preset_dump, "rows_used": rows_used, "metrics": metrics,
              "versions": versions(), "model_name": name}
    (output_dir / RUN_FILE).write_text(json.dumps(record, indent=2, default=str))
    edges = [(info.id, "trained_on")]
    base_artifact = store.catalog.model_artifact(path=str(Path(base).resolve())) if Path(base).exists() else None
    if base_artifact is not None:
        edges.append((base_artifact["id"], "fine_tuned_from"))
    content_id = model_id(name=name, base=base, snapshot_id=info.id, preset=preset_dump, store=store)
    artifact_id = store.register_artifact(name=name, kind="model", path=output_dir.resolve(), artifact_type="model",
                                          metadata={k: v for k, v in record.items() if k != "preset_fields"},
                                          edges=edges, artifact_id=content_id)
    write_card(output_dir, {"mode": mode, "model_name": name, "base_model": base, "snapshot": info,
                            "preset_name": preset_name, "preset": preset_dump, "rows_used": rows_used,
                            "metrics": metrics, "versions": versions(), "output_dir": str(output_dir),
                            "lineage": [e for e in store.lineage(info.id) if e["direction"] == "ancestor"]})
    return TrainResult(mode=mode, output_dir=output_dir, artifact_id=artifact_id, metrics=metrics,
                       log_history=log_history)
