"""The Argilla connection: from ``ARGILLA_API_URL`` / ``ARGILLA_API_KEY`` only, never stored.

Every review command connects (and checks the key) before it touches the store,
so a server that is down or a wrong key fails early and changes nothing.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from curation.redact import redact_text, redact_url

if TYPE_CHECKING:
    import argilla as rg

DEFAULT_TIMEOUT_S = 30
# The SDK retries failed connections 5 times with exponential backoff (~25 s before "down" is
# reported); two retries still ride out a restarting server and answer within seconds.
CONNECT_RETRIES = 2


class ReviewError(RuntimeError):
    """A review command cannot go on; the message says why and what to do."""


def api_url() -> str:
    url = os.environ.get("ARGILLA_API_URL", "").strip().rstrip("/")
    if not url:
        raise ReviewError("ARGILLA_API_URL is not set: export the URL of your Argilla server "
                          "(`make argilla` starts one at http://127.0.0.1:6900)")
    return url


def connect(timeout: int = DEFAULT_TIMEOUT_S) -> rg.Argilla:
    """A checked client for the server in ``ARGILLA_API_URL`` with the key in ``ARGILLA_API_KEY``."""
    try:
        import argilla as rg
        import httpx
        from argilla._exceptions import ArgillaCredentialsError
    except ImportError as exc:  # the review extra is optional
        raise ReviewError("the Argilla SDK is not installed: pip install 'thinkset[review]'") from exc
    url = api_url()
    key = os.environ.get("ARGILLA_API_KEY", "").strip()
    if not key:
        raise ReviewError("ARGILLA_API_KEY is not set: export the API key of your Argilla user "
                          "(shown in the Argilla UI under 'My settings')")
    try:
        client = rg.Argilla(api_url=url, api_key=key, timeout=timeout, retries=CONNECT_RETRIES)
        client.me  # noqa: B018  the SDK validates lazily on some paths; ask once so errors surface here
    except ArgillaCredentialsError as exc:
        raise ReviewError(f"Argilla at {redact_url(url)} refused the API key in ARGILLA_API_KEY; "
                          "check the key (Argilla UI → My settings) and the URL") from exc
    except httpx.HTTPError as exc:
        raise ReviewError(f"cannot reach Argilla at {redact_url(url)} ({type(exc).__name__}: {redact_text(str(exc))}); "
                          "start it with `make argilla` or fix ARGILLA_API_URL") from exc
    return client
