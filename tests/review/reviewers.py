"""Reviewers for tests: submit responses through the Argilla SDK, with each reviewer's own key."""

from __future__ import annotations

import uuid
from typing import Any

import argilla as rg
import httpx


def owner_client(api_url: str, api_key: str) -> rg.Argilla:
    return rg.Argilla(api_url=api_url, api_key=api_key)


def new_reviewer(api_url: str, api_key: str, workspace: str) -> rg.Argilla:
    """A second reviewer (role admin: the SDK lists and logs records only for admins and owners)."""
    owner = owner_client(api_url, api_key)
    user = rg.User(username=f"reviewer-{uuid.uuid4().hex[:8]}", password="reviewer-pass-123", role="admin",
                   client=owner).create()
    user.add_to_workspace(owner.workspaces(workspace))
    # The SDK's user model has no api_key; the owner reads it from the REST API, as the UI shows it.
    reply = httpx.get(f"{api_url}/api/v1/users/{user.id}", headers={"X-Argilla-Api-Key": api_key})
    reply.raise_for_status()
    return rg.Argilla(api_url=api_url, api_key=reply.json()["api_key"])


def submit(client: rg.Argilla, dataset: str, workspace: str, answers: dict[str, dict[str, Any]]) -> None:
    """Submit ``answers`` (record id -> {question: value}) as the client's user, like a reviewer in the UI."""
    me = client.me
    remote = client.datasets(name=dataset, workspace=workspace)
    records = [r for r in remote.records(with_responses=True) if str(r.id) in answers]
    assert len(records) == len(answers), "every answered record must be in the dataset"
    for record in records:
        for question, value in answers[str(record.id)].items():
            record.responses.add(rg.Response(question, value, user_id=me.id, status="submitted"))
    remote.records.log(records)
