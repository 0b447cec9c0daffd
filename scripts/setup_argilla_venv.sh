#!/usr/bin/env bash
# Create .venv-argilla (the local Argilla server's own environment) and install the locked
# requirements into it. Idempotent: when the venv already matches the lock, it installs nothing.
#   usage: scripts/setup_argilla_venv.sh [VENV_DIR]   (default: <repo>/.venv-argilla)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${1:-$repo/.venv-argilla}"
lock="$repo/scripts/argilla-requirements.txt"
stamp="$venv/.thinkset-lock.sha256"
python="${PYTHON:-python3}"

want="$(sha256sum "$lock" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
   && "$venv/bin/python" -c "import importlib.util as u, sys; sys.exit(not (u.find_spec('argilla_server') and u.find_spec('fakeredis')))" 2>/dev/null; then
  echo "argilla venv up to date: $venv"
  exit 0
fi

if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$lock"
"$venv/bin/python" -c "import argilla_server, fakeredis"
echo "$want" > "$stamp"
echo "argilla venv ready: $venv"
