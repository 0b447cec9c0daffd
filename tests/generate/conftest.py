"""The local OpenAI-compatible server (tests/generate/chat_server.py), one per test."""

from __future__ import annotations

import pytest

from tests.generate.chat_server import ChatServer


@pytest.fixture
def chat_server():
    server = ChatServer().start()
    yield server
    server.stop()
