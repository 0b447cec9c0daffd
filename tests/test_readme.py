"""A newcomer's path, verbatim: in a fresh clone, `make demo`, then every command of README's "After the demo".

The clone reuses this checkout's .venv through a symlink and runs `make demo -o install`, so nothing is
installed again; PYTHONPATH points at the clone so its code (not the editable install's) runs, as it would
in a user's own clone.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
HEADING = "## After the demo"
STEPS = ("1. pool", "2. sft", "3. grpo", "4. checks", "5. card", "6. train", "7. store")


def after_the_demo(readme: str) -> list[list[str]]:
    """The argv of each command in the first ```bash block under the "After the demo" heading."""
    section = readme.split(HEADING, 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block, f"no ```bash block under {HEADING!r} in README.md"
    return [argv for line in block.group(1).splitlines() if (argv := shlex.split(line, comments=True))]


def test_the_block_holds_only_commands_that_run_here():
    commands = after_the_demo((REPO / "README.md").read_text())
    assert len(commands) >= 10 and all(argv[0] == "thinkset" for argv in commands)
    for argv in commands:
        if argv[1] == "publish":
            assert "--dry-run" in argv, f"an upload needs the Hub: {shlex.join(argv)}"
        assert not (argv[1] == "train" and argv[2] in ("sft", "grpo")), f"needs a GPU: {shlex.join(argv)}"


def _fresh_clone(tmp_path: Path) -> Path:
    venv = (REPO / ".venv").resolve()
    if not (venv / "bin" / "thinkset").exists():
        pytest.skip(f"no thinkset in {venv}: run `make install` first")
    clone = tmp_path / "thinkset"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    (clone / ".venv").symlink_to(venv)
    return clone


def test_readme_commands_run_verbatim_after_make_demo(tmp_path):
    clone = _fresh_clone(tmp_path)
    # a user types `make demo` at a shell: drop what an enclosing `make test` passes down (MAKEFLAGS has -w
    # under a sub-make, which prints "Leaving directory" after the demo's last line)
    outer = ("THINKSET_STORE", "VIRTUAL_ENV", "PYTHONPATH", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")
    env = {k: v for k, v in os.environ.items() if k not in outer}
    env["PYTHONPATH"] = str(clone)
    # `-o install`: the venv is this checkout's, already installed; nothing may reinstall into it
    demo = subprocess.run(["make", "demo", "-o", "install"], cwd=clone, env=env, capture_output=True, text=True)
    shown = demo.stdout + demo.stderr
    assert demo.returncode == 0, shown[-4000:]
    assert (clone / "thinkset-store" / "catalog.duckdb").exists(), "the demo writes the default store"
    lines = demo.stdout.splitlines()
    assert [next(line for line in lines if line.startswith(step))[:len(step)] for step in STEPS] == list(STEPS)
    assert lines[-1].strip() == "source .venv/bin/activate"
    for noise in ("Warning", "it/s]", "━━"):  # library bars and warnings stay out of the story
        assert noise not in shown, f"{noise!r} in the demo's output:\n{shown}"

    # `source .venv/bin/activate`, as the README says
    env["PATH"] = f"{clone / '.venv' / 'bin'}{os.pathsep}{env['PATH']}"
    env["VIRTUAL_ENV"] = str(clone / ".venv")
    for argv in after_the_demo((clone / "README.md").read_text()):
        ran = subprocess.run(argv, cwd=clone, env=env, capture_output=True, text=True)
        assert ran.returncode == 0, f"`{shlex.join(argv)}` exited {ran.returncode}:\n{(ran.stdout + ran.stderr)[-3000:]}"


def test_every_image_and_relative_link_of_the_docs_is_in_the_repo():
    # A picture under demo-out/ or thinkset-store/ (ignored, made by a make target) is broken in a fresh clone
    # and on the repository's page: what the docs show is committed.
    tracked = set(subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                                 check=True).stdout.split())
    broken = {}
    for doc in sorted(n for n in tracked if n.endswith(".md") and (n == "README.md" or n.startswith("docs/"))):
        for target in re.findall(r"\]\(([^)\s#]+)[^)]*\)", (REPO / doc).read_text()):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
                continue
            path = os.path.normpath(os.path.join(os.path.dirname(doc), target))
            if path not in tracked and not any(n.startswith(path.rstrip("/") + "/") for n in tracked):
                broken.setdefault(doc, []).append(target)
    assert not broken, f"images/links to files that are not in the repository: {broken}"
