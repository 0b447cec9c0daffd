"""Fault injection for crash tests: ``THINKSET_FAULTPOINT=name:count`` SIGKILLs the process the count-th time
the named point is hit (several points: ``a:1,b:3``); ``THINKSET_FAULTPOINT_LOG=FILE`` lists every hit.

Points sit where a crash is the most damaging (between shards, inside the snapshot's atomic publish, inside a
catalog transaction, during image and generation-cache writes). Unset, ``faultpoint`` is one dict lookup.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

ENV = "THINKSET_FAULTPOINT"
LOG_ENV = "THINKSET_FAULTPOINT_LOG"  # a file: every point hit is appended, one name a line (to plan kills)
POINTS = (
    "generate.result",       # a generation result handed to the cache, maybe not committed yet
    "generate.cache_commit",  # inside the generation cache's SQLite transaction
    "images.put",            # an image's temp file written, not yet renamed into place
    "writer.shard",          # a snapshot shard written into the temp folder (between shards)
    "writer.before_rename",  # the snapshot's files durable in the temp folder
    "writer.publish",        # the folder renamed into snapshots/<name>/vN, not yet in the catalog
    "catalog.transaction",   # every statement of a catalog write run, COMMIT not yet
    "pipeline.batch",        # a batch through the stages of a segment
)
_hits: Counter[str] = Counter()


def _armed(spec: str) -> dict[str, int]:
    armed = {}
    for item in spec.split(","):
        name, _, count = item.strip().partition(":")
        armed[name] = int(count or 1)
    return armed


def faultpoint(name: str) -> None:
    """SIGKILL this process when ``name`` is armed in ``THINKSET_FAULTPOINT`` and hit for the armed time."""
    spec, log = os.environ.get(ENV), os.environ.get(LOG_ENV)
    if not spec and not log:
        return
    _hits[name] += 1
    if log:
        with open(log, "a") as handle:
            handle.write(name + "\n")
    if spec and _armed(spec).get(name) == _hits[name]:
        os.kill(os.getpid(), signal.SIGKILL)
