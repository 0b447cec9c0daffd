"""Where a segment's stages run: ``local`` (streaming shards in this process) or ``ray`` (Ray Data).

Stages never know which executor runs them; the snapshot (content id, rows and their order,
rejections, funnel) is the same whichever one made it. ``make_executor`` picks one by name.
"""

from curation.executors.base import EXECUTORS, Executor, make_executor

__all__ = ["EXECUTORS", "Executor", "make_executor"]
