"""Install as users install: build the wheel, install it into a fresh venv outside the repository, and run
the packaged demo there (`thinkset pool synth`, `thinkset run demo`, `thinkset check`, `thinkset publish
--dry-run`).

The venv borrows its third-party dependencies from the test interpreter's site-packages through a .pth file
(no network here); thinkset itself comes only from the wheel: the test asserts that `curation`, `sql`,
`data_cards` and `recipes` are imported from the new venv and that the repository is not on its path.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
SOURCE = ("pyproject.toml", "README.md", "curation", "training", "sql", "data_cards", "recipes")


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: int = 600) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, args))} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"  # a copy, so the build leaves no build/ or egg-info in the checkout
    source.mkdir()
    for name in SOURCE:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, source / name)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(root / "dist"),
         str(source)], cwd=root, env=env)
    [wheel] = (root / "dist").glob("thinkset-*.whl")

    target = root / "venv"
    venv.create(target, with_pip=False)
    python = target / "bin" / "python"
    # Install first, into a venv that sees nothing else: pip must not touch the test interpreter's packages.
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
         str(wheel)], cwd=root, env=env)
    purelib = Path(subprocess.check_output([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                           text=True).strip())
    dependencies = [p for p in site.getsitepackages() if Path(p).is_dir()] or [sysconfig.get_paths()["purelib"]]
    (purelib / "zz_thinkset_test_dependencies.pth").write_text("\n".join(dependencies) + "\n")

    work = root / "work"  # the commands run here: not the repository
    work.mkdir()
    env.update(THINKSET_STORE=str(root / "store"), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               THINKSET_QUIET="1", PATH=f"{target / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    return {"wheel": wheel, "python": python, "bin": target / "bin", "venv": target, "work": work, "env": env}


def test_wheel_ships_sql_cards_and_recipes(installed):
    import zipfile

    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    expected = {"sql/catalog.sql", "sql/queries_store.sql", "sql/funnel.sql", "data_cards/dataset_card.md.j2",
                "data_cards/model_card.md.j2", "data_cards/check_report.html.j2", "recipes/demo.yaml",
                "curation/generate/prompts/reason_text.j2"}
    assert expected <= names, f"missing from the wheel: {sorted(expected - names)}"
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/"))]


def test_thinkset_comes_from_the_wheel_not_the_repository(installed):
    out = run([str(installed["python"]), "-c", "import curation, sql, data_cards, recipes, sys; "
               "print(curation.__file__, sql.__file__, data_cards.__file__, recipes.__file__, sep='\\n'); "
               "print('\\n'.join(sys.path))"], cwd=installed["work"], env=installed["env"])
    modules, path = out.splitlines()[:4], out.splitlines()[4:]
    venv_root = str(installed["venv"].resolve())
    assert all(str(Path(m).resolve()).startswith(venv_root) for m in modules), modules
    assert str(REPO) not in path and "" not in path[1:]
    assert run([str(installed["bin"] / "thinkset"), "--version"], installed["work"], installed["env"]).strip() \
        == "thinkset 0.1.0"


def test_packaged_demo_runs_and_publishes_from_the_wheel(installed):
    thinkset, work, env = str(installed["bin"] / "thinkset"), installed["work"], installed["env"]
    run([thinkset, "pool", "synth", "--n", "60", "--seed", "0", "--name", "pool-demo"], work, env)
    out = run([thinkset, "run", "demo"], work, env)
    assert "wrote" in out and "sft-demo@v1" in out
    assert Path(run([thinkset, "recipes", "path", "demo"], work, env).strip()).is_relative_to(installed["venv"])
    run([thinkset, "check", "sft-demo"], work, env)  # as the demo does: GX suite and the HTML report template
    out = run([thinkset, "publish", "sft-demo", "--repo", "thinkset/sft-demo", "--dry-run", "--out",
               str(work / "hub")], work, env)
    assert "dry run" in out and (work / "hub" / "README.md").is_file()
    assert "sft-demo" in (work / "hub" / "README.md").read_text()
