"""Credentials in URLs never reach a message: the redaction itself, the openai backend's stored errors, and the
Argilla connection error."""

from __future__ import annotations

import pytest

from curation.generate.openai import RetryableError, classify
from curation.redact import redact_text, redact_url

SECRET = "FAKEpassw0rd-Xk4Qp"


@pytest.mark.parametrize(("url", "shown"), [
    (f"http://user:{SECRET}@host:8000/v1", "http://***@host:8000/v1"),
    (f"https://{SECRET}@api.example.com/v1", "https://***@api.example.com/v1"),
    (f"http://host/v1?api_key={SECRET}&x=1", "http://host/v1?api_key=***&x=1"),
    ("http://localhost:8000/v1", "http://localhost:8000/v1"),
    ("", ""),
])
def test_redact_url(url, shown):
    assert redact_url(url) == shown


def test_redact_text_finds_every_url_in_a_message():
    text = f"GET http://a:{SECRET}@h1/v1 then https://b:{SECRET}@h2/x failed; email me@example.com"
    assert SECRET not in redact_text(text) and "me@example.com" in redact_text(text)


def test_a_quoted_url_keeps_its_closing_quote():
    text = f"""request failed (url='http://h/v1?api_key={SECRET}') {{"url": "http://h/v1?token={SECRET}"}}"""
    assert redact_text(text) == """request failed (url='http://h/v1?api_key=***') {"url": "http://h/v1?token=***"}"""


def test_openai_errors_are_stored_without_credentials():
    permanent = classify(RuntimeError(f"cannot send to http://user:{SECRET}@127.0.0.1:9/v1"))
    assert isinstance(permanent, str) and SECRET not in permanent and "***@127.0.0.1" in permanent
    retryable = RetryableError("connection_error", f"http://user:{SECRET}@127.0.0.1:9/v1 refused")
    assert SECRET not in str(retryable)


def test_the_openai_backend_refuses_a_non_http_url_without_echoing_credentials():
    from curation.generate.backends import BackendConfig
    from curation.generate.openai import OpenAIBackend

    with pytest.raises(ValueError, match="not an http") as raised:
        OpenAIBackend(BackendConfig(model="m", base_url=f"ftp://u:{SECRET}@host/v1"), images=None)
    assert SECRET not in str(raised.value)


def test_argilla_connection_errors_redact_the_url(monkeypatch):
    pytest.importorskip("argilla")
    from curation.review.connection import ReviewError, connect

    monkeypatch.setenv("ARGILLA_API_URL", f"http://user:{SECRET}@127.0.0.1:9")
    monkeypatch.setenv("ARGILLA_API_KEY", "argilla.fake")
    with pytest.raises(ReviewError, match="cannot reach Argilla") as raised:
        connect(timeout=2)
    assert SECRET not in str(raised.value) and "***@127.0.0.1:9" in str(raised.value)


@pytest.mark.parametrize("name", ["HF_TOKEN", "ARGILLA_API_KEY", "AWS_SECRET_ACCESS_KEY", "PATH", "openai_api_key"])
def test_a_recipe_cannot_send_another_services_secret_to_its_server(name):
    from curation.generate.backends import ConnectionSettings

    with pytest.raises(ValueError, match="api_key_env"):
        ConnectionSettings(api_key_env=name)
    assert ConnectionSettings(api_key_env="VLLM_API_KEY").api_key_env == "VLLM_API_KEY"
