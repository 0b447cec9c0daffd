"""The content id of a trained model, like a snapshot's: what made it, never when.

``id = hash("model", name, base identity, training snapshot id, resolved preset, seed, training code)``.
The base identity is the catalog id of a registered base model, else the sha256 of a local folder's weight
and config files, else the hub id. The training code is the source of the modules that decide the weights
(the stages' code-identity rule, ``curation.stages.code_identity``). Two fresh stores that train the same
base on the same snapshot with the same preset and code get the same id; registering it twice is a no-op.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from curation.schema import row_id
from curation.stages.code_identity import code_modules
from curation.store import Store
from curation.store.snapshot import sha256_file

TRAINING_MODULES = ("training.sft", "training.grpo", "training.run", "training.data", "training.loading",
                    "training.rewards", "training.presets", "training.artifacts")
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".json", ".model", ".txt")


def training_code_identity() -> str:
    """sha256 of the training modules' sources (and the ``curation`` row-logic modules they import)."""
    modules: dict[str, str] = {}
    for name in TRAINING_MODULES:
        holder = type("Module", (), {"__module__": name})  # code_modules reads only ``__module__``
        modules.update(code_modules(holder))
    digest = hashlib.sha256()
    for name, source_digest in sorted(modules.items()):
        digest.update(f"{name}\x1f{source_digest}\x1e".encode())
    return digest.hexdigest()[:24]


def folder_identity(path: Path) -> str:
    """sha256 of a model folder's weight, config and tokenizer files (names and bytes), not of its location."""
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in WEIGHT_SUFFIXES
                   and p.name not in ("log_history.json", "thinkset_training.json"))
    return row_id("folder", [(p.name, sha256_file(p)) for p in files])


def base_identity(store: Store, base: str) -> str:
    """What a base model is, independent of where the store lives: its catalog id, its files, or its hub id."""
    path = Path(base)
    if not path.exists():
        return f"hub:{base}"
    artifact = store.catalog.model_artifact(path=str(path.resolve()))
    if artifact is not None:
        return f"artifact:{artifact['id']}"
    return f"files:{folder_identity(path.resolve())}" if path.is_dir() else f"file:{sha256_file(path)}"


def model_id(*, name: str, base: str, snapshot_id: str, preset: dict[str, Any], store: Store) -> str:
    """The content id of the model ``name`` trained from ``base`` on ``snapshot_id`` with ``preset``."""
    return row_id("model", name, base_identity(store, base), snapshot_id, preset, preset.get("seed"),
                  training_code_identity())
