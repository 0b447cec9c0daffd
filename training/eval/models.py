"""Which model an eval scores: a model folder, a registered model artifact, or a name a server knows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from curation.schema import row_id
from curation.store import SnapshotNotFound, Store


@dataclass(frozen=True)
class EvalModel:
    """``engine_model`` is what the backend loads or asks for; ``identity`` keys the eval's content id."""

    ref: str
    name: str
    engine_model: str
    identity: str
    artifact_id: str | None = None
    path: str | None = None


def _weights_identity(path: Path) -> str:
    """Path plus size and mtime of every weight/config file: retraining into the same folder is a new model."""
    files = sorted(p for p in path.glob("*") if p.suffix in (".safetensors", ".bin", ".json") and p.is_file())
    return row_id(str(path), [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files])


def _artifact_by_ref(store: Store, ref: str) -> dict | None:
    try:
        info = store.resolve(ref)
    except SnapshotNotFound:
        return None
    return store.catalog.model_artifact(artifact_id=info.id)


def resolve_model(store: Store, model: str, model_name: str | None = None) -> EvalModel:
    """Resolve ``model``: an existing folder (registered or not), then a model artifact name/ref/id,
    else a served model name (openai, vllm hub id, ``synthetic-teacher``). ``model_name`` is the name
    a server knows a registered or local model by (openai backend)."""
    path = Path(model)
    if path.exists():
        path = path.resolve()
        artifact = store.catalog.model_artifact(path=str(path))
        if artifact is not None:
            return EvalModel(ref=model, name=f"{artifact['name']}@v{artifact['version']}",
                             engine_model=model_name or str(path), identity=artifact["id"],
                             artifact_id=artifact["id"], path=str(path))
        return EvalModel(ref=model, name=path.name, engine_model=model_name or str(path),
                         identity=_weights_identity(path), path=str(path))
    artifact = _artifact_by_ref(store, model)
    if artifact is not None:
        artifact_path = Path(artifact["path"])
        artifact_path = artifact_path if artifact_path.is_absolute() else store.root / artifact_path
        return EvalModel(ref=model, name=f"{artifact['name']}@v{artifact['version']}",
                         engine_model=model_name or str(artifact_path), identity=artifact["id"],
                         artifact_id=artifact["id"], path=str(artifact_path))
    return EvalModel(ref=model, name=model, engine_model=model_name or model, identity=f"served:{model}")
