"""The content id of a snapshot: its one definition.

``id = hash(name, parent ids, stage config, code identity)``. The same recipe on the same input with the same
code gets the same id (a re-run is a no-op); a change to any of them makes a new version. The pipeline passes
the code identity of its stages (``curation.stages.code_identity``); a snapshot written outside a recipe
(tests, review apply) is identified by the package version instead.
"""

from __future__ import annotations

from typing import Any

from curation import __version__
from curation.schema import row_id


def content_id(name: str, parents: list[str], config: Any, code: Any = None) -> str:
    """Id of a snapshot = hash of its name, parent ids, stage config and the identity of the code that made it."""
    return row_id("snapshot", name, sorted(parents), config, __version__ if code is None else code)
