"""Credentials out of what thinkset prints: URLs are shown with their user and password replaced.

A server URL may carry credentials (``http://user:password@host/v1``) or a key in its query
(``?api_key=...``); error messages and logs show ``http://***@host/v1`` and ``?api_key=***`` instead.
"""

from __future__ import annotations

import re

_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/\s@?#]+)@")
_SECRET_QUERY = re.compile(r"(?P<key>[?&](?:api[_-]?key|key|token|access_token|password|secret)=)[^&#\s'\"<>]+",
                           re.IGNORECASE)


def redact_url(url: str | None) -> str:
    """``url`` with credentials replaced by ``***`` (None and URLs without credentials pass unchanged)."""
    return redact_text(url) if url else ""


def redact_text(text: str) -> str:
    """Every URL in ``text`` with its credentials replaced by ``***``."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}***@", text)
    return _SECRET_QUERY.sub(lambda m: f"{m['key']}***", text)
