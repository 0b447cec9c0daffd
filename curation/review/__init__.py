"""Human review in Argilla: push a stratified sample of a snapshot, pull reviewers' decisions,
apply them as a new version, and measure how often reviewers agree with each automatic filter.

The Argilla SDK (``thinkset[review]``) is imported only when a server is contacted; the
connection comes from ``ARGILLA_API_URL`` / ``ARGILLA_API_KEY`` and is never stored.
"""

from curation.review.apply import apply
from curation.review.connection import ReviewError
from curation.review.pull import pull
from curation.review.push import push
from curation.review.stats import review_stats

__all__ = ["ReviewError", "apply", "pull", "push", "review_stats"]
