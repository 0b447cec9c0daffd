"""Questions answered by walking lineage: was this model's (or snapshot's) training data decontaminated
against that eval snapshot?

The ``decontaminate`` stage records an edge ``decontaminated_against`` from each eval snapshot to the
snapshot it wrote. A snapshot counts as decontaminated when it or one of its ancestors has such an
edge from the eval snapshot; a model counts when every snapshot it or its base models were trained on
(``trained_on`` edges anywhere up its lineage) does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from curation.store.store import Store

DECONTAMINATED_AGAINST = "decontaminated_against"
TRAINED_ON = "trained_on"


@dataclass
class DecontaminationStatus:
    artifact: str  # NAME@vN of the model or snapshot asked about
    eval_snapshot: str  # NAME@vN of the eval snapshot
    training_data: list[str] = field(default_factory=list)  # snapshots whose rows reached the artifact
    covered: list[str] = field(default_factory=list)  # of those, decontaminated against the eval snapshot
    other_versions: list[str] = field(default_factory=list)  # other versions of the eval it was checked against

    @property
    def missing(self) -> list[str]:
        return [ref for ref in self.training_data if ref not in self.covered]

    @property
    def decontaminated(self) -> bool:
        return bool(self.training_data) and not self.missing

    @property
    def message(self) -> str:
        if self.decontaminated:
            return f"{self.artifact}: training data decontaminated against {self.eval_snapshot}"
        extra = (f" (it was decontaminated against {', '.join(self.other_versions)}, another version)"
                 if self.other_versions else "")
        return (f"{self.artifact} was trained on data not decontaminated against {self.eval_snapshot}: "
                f"{', '.join(self.missing) or 'no training data found'}{extra}; scores on it may be inflated. "
                f"Add a `decontaminate` stage with `against: [{self.eval_snapshot}]` to the training recipes.")

    def to_json(self) -> dict[str, Any]:
        return {"artifact": self.artifact, "eval_snapshot": self.eval_snapshot, "decontaminated": self.decontaminated,
                "training_data": self.training_data, "covered": self.covered, "missing": self.missing,
                "other_versions": self.other_versions, "message": self.message}


def _ref(row: dict[str, Any], side: str) -> str:
    return f"{row[f'{side}_name']}@v{row[f'{side}_version']}"


def _from_edge_details(store: Store, snapshot_ids: list[str], against: dict[str, set[str]],
                       refs: dict[str, str]) -> None:
    """Add what the decontaminate stage wrote in the edge detail of each snapshot it made (committed with the
    snapshot, so it holds even when the run died before the ``decontaminated_against`` edges were added)."""
    for edge in store.catalog.edges_into(snapshot_ids):
        if edge["kind"] == DECONTAMINATED_AGAINST:
            continue
        for stage in (edge["detail"] or {}).values():
            for entry in stage.get(DECONTAMINATED_AGAINST, []) if isinstance(stage, dict) else []:
                against.setdefault(edge["dst_id"], set()).add(entry["id"])
                refs.setdefault(entry["id"], entry["ref"])


def decontamination_status(store: Store, artifact_ref: str, eval_snapshot_ref: str) -> DecontaminationStatus:
    """Whether the data behind ``artifact_ref`` (a model or a snapshot) was decontaminated against
    ``eval_snapshot_ref``; ``status.message`` is the warning to print when it was not."""
    artifact = store.resolve(artifact_ref)
    evaluation = store.resolve(eval_snapshot_ref)
    edges = [e for e in store.lineage(artifact.id) if e["direction"] == "ancestor"]
    parents: dict[str, set[str]] = {}
    against: dict[str, set[str]] = {}  # snapshot id -> eval snapshot ids it was decontaminated against
    refs = {artifact.id: artifact.ref}
    for edge in edges:
        refs[edge["src_id"]], refs[edge["dst_id"]] = _ref(edge, "src"), _ref(edge, "dst")
        if edge["kind"] == DECONTAMINATED_AGAINST:
            against.setdefault(edge["dst_id"], set()).add(edge["src_id"])
        else:
            parents.setdefault(edge["dst_id"], set()).add(edge["src_id"])
    _from_edge_details(store, [artifact.id, *parents], against, refs)
    row = store.catalog.artifact(artifact.id)
    if row is not None and row["artifact_type"] == "snapshot":
        training = [artifact.id]
    else:
        training = sorted({e["src_id"] for e in edges if e["kind"] == TRAINED_ON})

    def checked_against(snapshot_id: str) -> set[str]:
        seen, todo, found = set(), [snapshot_id], set()
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            found |= against.get(current, set())
            todo.extend(parents.get(current, ()))
        return found

    status = DecontaminationStatus(artifact=artifact.ref, eval_snapshot=evaluation.ref)
    others: set[str] = set()
    for snapshot_id in training:
        ids = checked_against(snapshot_id)
        status.training_data.append(refs.get(snapshot_id, snapshot_id))
        if evaluation.id in ids:
            status.covered.append(refs.get(snapshot_id, snapshot_id))
        others |= {refs[i] for i in ids if i != evaluation.id and refs.get(i, "").startswith(f"{evaluation.name}@v")}
    status.other_versions = sorted(others)
    return status
