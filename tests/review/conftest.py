"""The real argilla-server (2.8, own venv), started once per test session on a free 127.0.0.1 port.

The server runs from ``.venv-argilla`` (made by ``scripts/setup_argilla_venv.sh``, which this
fixture runs when the venv is missing or stale). A random API key is passed through the
environment only. Set ``THINKSET_ARGILLA_SETUP=0`` to forbid the fixture from installing.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
SETUP_SCRIPT = REPO / "scripts" / "setup_argilla_venv.sh"
SERVER_SCRIPT = REPO / "scripts" / "argilla_server.py"
VENV_PYTHON = REPO / ".venv-argilla" / "bin" / "python"
READY_TIMEOUT_S = 120.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ensure_venv() -> None:
    if os.environ.get("THINKSET_ARGILLA_SETUP") == "0":
        if not VENV_PYTHON.exists():
            pytest.fail(f"{VENV_PYTHON} is missing: run {SETUP_SCRIPT} (or `make argilla-venv`)", pytrace=False)
        return
    result = subprocess.run(["bash", str(SETUP_SCRIPT)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(
            f"could not create the Argilla server venv with {SETUP_SCRIPT} (exit {result.returncode}):\n"
            f"{result.stderr[-3000:]}",
            pytrace=False,
        )


def _wait_ready(process: subprocess.Popen, api_url: str, api_key: str, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"argilla-server exited with {process.returncode}:\n{log_path.read_text()[-4000:]}",
                        pytrace=False)
        try:
            response = httpx.get(f"{api_url}/api/v1/me", headers={"X-Argilla-Api-Key": api_key}, timeout=2.0)
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    pytest.fail(f"argilla-server not ready after {READY_TIMEOUT_S:.0f}s:\n{log_path.read_text()[-4000:]}",
                pytrace=False)


@contextmanager
def running_server(data_dir: Path, api_key: str) -> Iterator[str]:
    """Start scripts/argilla_server.py with all state in ``data_dir``; yield its URL once it answers; stop it."""
    _ensure_venv()
    log_path = data_dir / "server.log"
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGILLA_", "VIRTUAL_ENV", "PYTHON"))}
    env["ARGILLA_API_KEY"] = api_key
    with open(log_path, "a") as log:
        process = subprocess.Popen(
            [str(VENV_PYTHON), str(SERVER_SCRIPT), "--port", str(port), "--data-dir", str(data_dir)],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=data_dir,
        )
    try:
        _wait_ready(process, api_url, api_key, log_path)
        yield api_url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def argilla_server(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """Yield (api_url, api_key) of a running argilla-server; stop it at the end of the session."""
    api_key = secrets.token_urlsafe(24)
    with running_server(tmp_path_factory.mktemp("argilla-server"), api_key) as api_url:
        yield api_url, api_key


@pytest.fixture
def argilla_env(argilla_server, monkeypatch) -> tuple[str, str]:
    """Point thinkset's review commands at the session server through the environment."""
    api_url, api_key = argilla_server
    monkeypatch.setenv("ARGILLA_API_URL", api_url)
    monkeypatch.setenv("ARGILLA_API_KEY", api_key)
    return api_url, api_key
