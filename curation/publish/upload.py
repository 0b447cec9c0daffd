"""Upload a verified Hub folder with ``huggingface_hub``: one commit naming the version, then a tag.

The token comes from the standard places (``HF_TOKEN``, ``hf auth login``) and is
handed to ``huggingface_hub`` only; it is never written to a card, the catalog,
a log line or an error message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import HfApi, get_token
from huggingface_hub.errors import HfHubHTTPError

from curation.store import SnapshotInfo


class PublishError(RuntimeError):
    """Publishing could not start or the Hub refused it; the message says what to do."""


@dataclass
class Upload:
    repo: str
    revision: str  # the commit sha
    tag: str
    commit_url: str


def upload_layout(folder: Path, info: SnapshotInfo, repo: str, *, private: bool, tag: str,
                  endpoint: str | None = None) -> Upload:
    """Create the dataset repo if needed, commit ``folder`` (stale shards and figures deleted), tag it."""
    if get_token() is None:
        raise PublishError("no Hugging Face token: run `hf auth login` or set HF_TOKEN (it is never stored)")
    api = HfApi(endpoint=endpoint)
    message = f"Publish {info.ref} (thinkset snapshot {info.id}, {info.rows} rows)"
    try:
        api.create_repo(repo, repo_type="dataset", private=private, exist_ok=True)
        commit = api.upload_folder(
            repo_id=repo, repo_type="dataset", folder_path=str(folder), commit_message=message,
            commit_description=f"kind={info.kind} code_version={info.code_version} created_at={info.created_at}",
            # the previous version's shards must not survive next to the new ones
            delete_patterns=["data/*.parquet", "figures/*.png"])
        api.create_tag(repo, repo_type="dataset", tag=tag, revision=commit.oid, tag_message=message,
                       exist_ok=False)
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise PublishError(f"the Hub refused the upload of {info.ref} to {repo} (HTTP {status}): "
                           f"{str(exc).splitlines()[0]}") from None
    return Upload(repo=repo, revision=commit.oid, tag=tag, commit_url=commit.commit_url)
