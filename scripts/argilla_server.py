"""Start a local argilla-server 2.8 in one process: SQLite, in-memory search, fakeredis.

Run with the server's own environment (made by ``scripts/setup_argilla_venv.sh``):

    .venv-argilla/bin/python scripts/argilla_server.py --port 6900 --data-dir .argilla-home

All state (SQLite database, home dir, temp files) lives under ``--data-dir``.
The API key of the default owner user ``argilla`` comes from ``--api-key`` or
``$ARGILLA_API_KEY`` (default ``argilla.apikey``, the one Argilla's own
quickstart uses); it is never written anywhere by this script. When the server
accepts requests it prints ``argilla-server ready at URL`` and writes
``<data-dir>/ready.json`` ({"url", "pid"}); SIGTERM or Ctrl-C stop it cleanly.

argilla-server's own CLI entry point is broken with current click, so this
does what ``argilla_server start`` would: migrate the database to head, create
the default user, then serve the ASGI app with uvicorn on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import secrets
import signal
import sys
import threading
import time
from pathlib import Path

# This file is named like the package it starts: drop its folder from the import path so that
# `import argilla_server` finds the installed server, not this script.
_SCRIPTS_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _SCRIPTS_DIR]

DEFAULT_API_KEY = "argilla.apikey"
DEFAULT_PASSWORD = "12345678"


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=6900, help="TCP port (default 6900)")
    parser.add_argument("--data-dir", type=Path, default=Path(".argilla-home"), help="all server state goes here")
    parser.add_argument("--api-key", default=os.environ.get("ARGILLA_API_KEY") or DEFAULT_API_KEY,
                        help="API key of the default owner user 'argilla' (default: $ARGILLA_API_KEY or argilla.apikey)")
    parser.add_argument("--password", default=os.environ.get("ARGILLA_PASSWORD") or DEFAULT_PASSWORD,
                        help="UI password of user 'argilla' (default: $ARGILLA_PASSWORD or 12345678)")
    parser.add_argument("--log-level", default="warning", help="uvicorn log level")
    return parser.parse_args()


def _configure_environment(data_dir: Path) -> None:
    """Everything argilla-server reads from the environment, set before it is imported."""
    home = data_dir / "home"
    tmp = data_dir / "tmp"
    for path in (home, tmp):
        path.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        {
            "HOME": str(home),
            "TMPDIR": str(tmp),
            "ARGILLA_HOME_PATH": str(home),
            "ARGILLA_DATABASE_URL": f"sqlite+aiosqlite:///{data_dir / 'argilla.db'}",
            "ARGILLA_SEARCH_ENGINE": "memory",
            "ARGILLA_AUTH_OAUTH_CFG": str(data_dir / "oauth.yaml"),  # absent on purpose: no OAuth
            "HF_HUB_OFFLINE": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1",
        }
    )
    # One secret for the whole process, so every request signs and checks UI tokens alike.
    os.environ.setdefault("ARGILLA_AUTH_SECRET_KEY", secrets.token_hex(32))


def _use_fakeredis_unless_configured() -> None:
    """argilla-server only enqueues background jobs in Redis; an in-process fake is enough
    unless the user points ARGILLA_REDIS_URL at a real Redis."""
    if os.environ.get("ARGILLA_REDIS_URL"):
        return
    import fakeredis
    import redis

    shared_server = fakeredis.FakeServer()
    redis.from_url = lambda url, **kwargs: fakeredis.FakeRedis(server=shared_server, **kwargs)


def _load_memory_engine() -> None:
    """Import scripts/argilla_memory_engine.py, which registers the "memory" search engine."""
    spec = importlib.util.spec_from_file_location("argilla_memory_engine", _SCRIPTS_DIR / "argilla_memory_engine.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["argilla_memory_engine"] = module
    spec.loader.exec_module(module)


async def _prepare_database(api_key: str, password: str) -> None:
    """Create or update the default owner user, then rebuild the in-memory search index from the database."""
    from argilla_memory_engine import MemorySearchEngine  # loaded by _load_memory_engine
    from argilla_server.cli.database.users.utils import get_or_new_workspace
    from argilla_server.cli.search_engine.reindex import Reindexer
    from argilla_server.contexts import accounts
    from argilla_server.database import AsyncSessionLocal, async_engine
    from argilla_server.models import User, UserRole

    async with AsyncSessionLocal() as db:
        user = await accounts.get_user_by_username(db, "argilla")
        if user is None:
            await User.create(
                db,
                first_name="",
                username="argilla",
                role=UserRole.owner,
                api_key=api_key,
                password_hash=accounts.hash_password(password),
                workspaces=[await get_or_new_workspace(db, "argilla")],
            )
        elif user.api_key != api_key:
            await user.update(db, api_key=api_key)

        engine = MemorySearchEngine()
        async for dataset in Reindexer.reindex_datasets(db, engine):
            async for _ in Reindexer.reindex_dataset_records(db, engine, dataset):
                pass
    # The server runs on another event loop; pooled aiosqlite connections must not cross over.
    await async_engine.dispose()


def _announce_when_started(server, url: str, ready_file: Path) -> None:
    while not server.started and not server.should_exit:
        time.sleep(0.05)
    if server.started:
        ready_file.write_text(json.dumps({"url": url, "pid": os.getpid()}))
        print(f"argilla-server ready at {url}", flush=True)


def main() -> int:
    args = _parse_args()
    data_dir = args.data_dir.resolve()
    _configure_environment(data_dir)
    _use_fakeredis_unless_configured()
    import alembic.config
    import uvicorn
    from argilla_server.database import ALEMBIC_CONFIG_FILE

    _load_memory_engine()

    alembic.config.main(argv=["-c", ALEMBIC_CONFIG_FILE, "upgrade", "head"])
    asyncio.run(_prepare_database(args.api_key, args.password))

    from argilla_server._app import app

    url = f"http://{args.host}:{args.port}"
    ready_file = data_dir / "ready.json"
    ready_file.unlink(missing_ok=True)
    server = uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port, log_level=args.log_level))
    threading.Thread(target=_announce_when_started, args=(server, url, ready_file), daemon=True).start()
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal to the handler
    # that was there before: make that a clean exit, so the ready file is removed.
    for handled in (signal.SIGTERM, signal.SIGINT):
        signal.signal(handled, lambda *_: sys.exit(0))
    try:
        server.run()
    finally:
        ready_file.unlink(missing_ok=True)
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
