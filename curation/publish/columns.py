"""Which snapshot columns go to the Hub: a column profile.

A snapshot carries internal columns (``dedup_key``, ``image_issue``,
``latency_s``, ``params`` …) that serve the store, not a trainer. ``default``
keeps what a trainer and a reader need, ``all`` keeps everything, and a comma
list keeps exactly the columns named. ``images`` is the embedded ``Image``
list built from ``image_ids``; the card lists every column left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from curation.publish.upload import PublishError

IMAGES = "images"
DEFAULT = "default"
ALL = "all"
# What a trainer and a reader need: the problem and its images, the answer, the trace (sft) or the
# solution (grpo), where it came from, and the scores a user filters on.
DEFAULT_COLUMNS = ("id", "problem", "answer", "choices", IMAGES, "response", "solution", "source",
                   "word_count", "verdict", "pass_rate", "n_samples", "n_correct")


class ColumnError(PublishError):
    """A ``--columns`` value names a column the snapshot does not have."""


@dataclass(frozen=True)
class ColumnProfile:
    """The columns a Hub folder holds (snapshot order) and the snapshot columns it leaves out."""

    name: str  # "default", "all", or the comma list as given
    kept: list[str]  # snapshot columns written as they are
    images: bool  # whether the embedded ``images`` column is written
    left_out: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        """Every column of the written rows, ``images`` after the snapshot's own."""
        return [*self.kept, *([IMAGES] if self.images else [])]


def column_profile(spec: str | None, snapshot_columns: list[str], where: str = "the snapshot") -> ColumnProfile:
    """Resolve ``spec`` (``default``, ``all`` or ``a,b,c``) against the snapshot's columns."""
    spec = (spec or DEFAULT).strip()
    if spec == ALL:
        return ColumnProfile(ALL, list(snapshot_columns), images=True)
    if spec == DEFAULT:
        wanted = set(DEFAULT_COLUMNS)
    else:
        wanted = {name.strip() for name in spec.split(",") if name.strip()}
        unknown = sorted(wanted - set(snapshot_columns) - {IMAGES})
        if unknown or not wanted:
            raise ColumnError(
                f"--columns {spec!r}: {', '.join(unknown) or 'no column named'} not in {where}; its columns are "
                f"{', '.join(snapshot_columns)} (and {IMAGES}); or pass --columns {DEFAULT} or --columns {ALL}")
    kept = [c for c in snapshot_columns if c in wanted]
    return ColumnProfile(spec, kept, images=IMAGES in wanted,
                         left_out=[c for c in snapshot_columns if c not in wanted])
