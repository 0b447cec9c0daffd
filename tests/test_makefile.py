"""Every `make TARGET` a user is told to run (docs, scripts, error messages) is a target of the Makefile."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# `make NAME`, (make NAME) or a code line starting with make NAME: how the repo tells a user to run a target
MENTION = re.compile(r"(?:[`(]|^\s*)make ([a-z][\w-]*)", re.MULTILINE)


def _targets() -> set[str]:
    text = (REPO / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z][\w-]*):", text, re.MULTILINE))


def _mentions() -> dict[str, list[str]]:
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    found: dict[str, list[str]] = {}
    for name in tracked.split():
        path = REPO / name
        if path.suffix not in {".py", ".md", ".sh", ".j2", ".yaml", ".toml"} and path.name != "run":
            continue
        for target in MENTION.findall(path.read_text(errors="replace")):
            found.setdefault(target, []).append(name)
    return found


def test_every_make_target_named_in_the_repo_exists():
    mentions = _mentions()
    assert {"demo", "test"} <= set(mentions), "the scan must see the README's own commands"
    missing = {target: files for target, files in mentions.items() if target not in _targets()}
    assert not missing, f"named but not in the Makefile: {missing}"
