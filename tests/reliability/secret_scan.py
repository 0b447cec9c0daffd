"""Secrets never written: scan files for recognizable fake secrets, and the end-to-end scenario of issue 14.5.

`scan_for_secrets(paths, secrets)` searches every file under ``paths`` for each secret: the raw bytes, and the
decoded text of files that compress or encode their strings (parquet columns, DuckDB tables), so a secret in a
zstd-compressed parquet column or a catalog row is found too.

`run_secret_scenario(workdir)` sets fake OPENAI_API_KEY, HF_TOKEN, ARGILLA_API_KEY and a server URL with
user:password, then runs, as a user would, `thinkset run` (openai backend against tests/generate/chat_server.py),
`thinkset check`, `thinkset publish --dry-run`, `thinkset export` (jsonl and hf), `thinkset eval` (openai backend,
the same server), a tiny `thinkset iterate` whose captioner and reasoner are that server (the base model's eval and
the first SFT data are made, then it is SIGKILLed before training: the loop recipe's copy in the catalog and the
roles' lineage are written), runs and evals against an unreachable server (so error paths are logged too) and a
`thinkset run` SIGKILLed while it holds the store lock (its holder record stays beside the catalog), keeping every
command's output as a log file; then scans the store, the cards, reports, logs and exported folders.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
FAKE_SECRETS = {
    "OPENAI_API_KEY": "sk-thinkset-FAKE-openai-7Qx9Lk2Vb",
    "HF_TOKEN": "hf_thinksetFAKEhubTokenZt8Rw4Yq",
    "ARGILLA_API_KEY": "argilla.thinkset-FAKE-key-Jm3Nc6",
    "URL_PASSWORD": "FAKEpassw0rd-Xk4Qp",
}
URL_USER = "labuser"


@dataclass(frozen=True)
class SecretHit:
    path: str
    secret_name: str
    where: str  # "bytes at offset N" or "parquet column C" or "duckdb table T"


def _texts(path: Path) -> list[tuple[str, str]]:
    """Decoded text of files whose strings are compressed on disk: (where, text)."""
    if path.suffix == ".parquet":
        import polars as pl

        frame = pl.read_parquet(path)
        return [(f"parquet column {c}", json.dumps(frame[c].to_list(), default=str)) for c in frame.columns]
    if path.suffix == ".duckdb":
        import duckdb

        con = duckdb.connect(str(path), read_only=True)
        try:
            tables = [row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
            return [(f"duckdb table {t}", json.dumps(con.execute(f'SELECT * FROM "{t}"').fetchall(), default=str))
                    for t in tables]
        finally:
            con.close()
    return []


def scan_for_secrets(paths: list[Path], secrets: dict[str, str] | list[str]) -> list[SecretHit]:
    """Every place a secret occurs in the files under ``paths`` (symlinks are not followed)."""
    named = secrets if isinstance(secrets, dict) else {f"secret-{i}": s for i, s in enumerate(secrets)}
    hits: list[SecretHit] = []
    for root in paths:
        root = Path(root)
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]
        for file in sorted(files):
            data = file.read_bytes()
            decoded = _texts(file)
            for name, secret in named.items():
                offset = data.find(secret.encode())
                if offset >= 0:
                    hits.append(SecretHit(str(file), name, f"bytes at offset {offset}"))
                hits.extend(SecretHit(str(file), name, where) for where, text in decoded if secret in text)
    return hits


def _answer(body: dict[str, Any], choice_index: int) -> str:
    return "<think>\nThere are four marks, so the count is 4.\n</think>\n\n<answer>4</answer>"


RECIPE = """\
name: secrets
output: rollouts-secrets
stages:
  - type: synthetic_pool
    n: 4
    seed: 3
  - type: reason
    backend: openai
    model: fake-vlm
    mode: image
    k: 2
    max_retries: 1
  - type: format
"""


LOOP = """\
name: secrets-loop
base_model: tiny
pool: {{name: pool-secrets, synthetic: {{n: 24, seed: 0}}}}
eval: {{name: eval-secrets, synthetic: {{n: 2, seed: 11}}, max_new_tokens: 4}}
roles:
  captioner: {{backend: openai, model: fake-vlm, base_url: "{url}", max_retries: 1}}
  reasoner: {{backend: openai, model: fake-vlm, base_url: "{url}", max_retries: 1}}
  policy: {{backend: transformers, max_new_tokens: 4}}
presets: {{sft: tiny, grpo: tiny, sft_set: [max_steps=1]}}
iterations:
  - sft: {{problems: 2, k: 1}}
    grpo: {{problems: 2, k: 1, selection: {{min_pass_rate: 0.0}}}}
"""
LOOP_KILLED_AT = "1:sft-train:before"  # the SFT data is made from the server; training would cost minutes


def _thinkset(args: list[str], env: dict[str, str], cwd: Path, kill_at_line: str | None) -> tuple[int, str]:
    """Run the CLI; with ``kill_at_line``, SIGKILL it once it prints that line. Returns (exit code, output)."""
    process = subprocess.Popen([sys.executable, "-m", "curation.cli", *args], env=env, cwd=cwd, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if kill_at_line and line.strip() == kill_at_line:
            os.kill(process.pid, signal.SIGKILL)
            break
    try:
        process.wait(timeout=600)
    finally:
        process.stdout.close()
    return process.returncode, "".join(lines)


def run_secret_scenario(workdir: Path) -> dict[str, Any]:
    """Run the user journey with fake secrets set, then scan everything it wrote; see the module docstring."""
    from curation.redact import redact_text
    from tests.generate.chat_server import ChatServer

    workdir = Path(workdir)
    store, logs = workdir / "store", workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    (workdir / "recipe.yaml").write_text(RECIPE)
    server = ChatServer(answer=_answer).start()
    try:
        url = server.url.replace("http://", f"http://{URL_USER}:{FAKE_SECRETS['URL_PASSWORD']}@")
        dead = f"http://{URL_USER}:{FAKE_SECRETS['URL_PASSWORD']}@127.0.0.1:9/v1"  # port 9 (discard): refused
        env = {**os.environ, **{k: v for k, v in FAKE_SECRETS.items() if k != "URL_PASSWORD"},
               "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
               "THINKSET_STORE": str(store), "HF_HUB_OFFLINE": "1", "ARGILLA_API_URL": dead.replace("/v1", "")}
        (workdir / "loop.yaml").write_text(LOOP.format(url=url))
        run = ["run", str(workdir / "recipe.yaml"), "--backend", "openai"]
        # name -> (arguments, extra environment, SIGKILL at this output line)
        commands: dict[str, tuple[list[str], dict[str, str], str | None]] = {
            "run": ([*run, "--base-url", url], {}, None),
            "check": (["check", "rollouts-secrets"], {}, None),
            "publish": (["publish", "rollouts-secrets", "--repo", "thinkset-test/secrets", "--dry-run", "--force",
                         "--out", str(workdir / "publish")], {}, None),
            "export_jsonl": (["export", "rollouts-secrets", "--format", "jsonl", "--out",
                              str(workdir / "export-jsonl")], {}, None),
            "export_hf": (["export", "rollouts-secrets", "--format", "hf", "--out", str(workdir / "export-hf")],
                          {}, None),
            "eval": (["eval", "fake-vlm", "--on", "rollouts-secrets", "--backend", "openai", "--base-url", url,
                      "--limit", "2"], {}, None),
            "iterate_killed": (["iterate", str(workdir / "loop.yaml"), "--iterations", "1"],
                               {"THINKSET_LOOP_HOOK": LOOP_KILLED_AT}, f"loop-hook {LOOP_KILLED_AT}"),
            "run_unreachable": ([*run, "--base-url", dead.replace("/v1", "/v2"), "--model", "other-model"], {}, None),
            "eval_unreachable": (["eval", "other-model", "--on", "rollouts-secrets", "--backend", "openai",
                                  "--base-url", dead, "--limit", "1"], {}, None),
            "review_unreachable": (["review", "push", "rollouts-secrets", "--sample", "2"], {}, None),
            # last, so no later writer replaces the holder record it leaves beside the catalog
            "run_killed_holding_lock": ([*run, "--base-url", url, "--model", "killed-model"],
                                        {"THINKSET_FAULTPOINT": "writer.publish:1"}, None),
        }
        exit_codes = {}
        for name, (args, extra_env, kill_at_line) in commands.items():
            code, output = _thinkset(args, {**env, **extra_env}, workdir, kill_at_line)
            shown = redact_text(" ".join(args))  # the harness's own echo of the command line, redacted too
            (logs / f"{name}.log").write_text(f"$ thinkset {shown}\n{output}")
            exit_codes[name] = code
        served = len(server.log)
    finally:
        server.stop()
    scanned = [store, logs, workdir / "publish", workdir / "export-jsonl", workdir / "export-hf"]
    holders = [json.loads(p.read_text()) for p in store.glob("*.holder")]
    hits = scan_for_secrets(scanned, FAKE_SECRETS)
    files = sum(1 for root in scanned if root.exists() for p in root.rglob("*") if p.is_file())
    return {"secrets_found": len(hits), "files_scanned": files, "hits": [h.__dict__ for h in hits],
            "exit_codes": exit_codes, "requests_served": served, 
            "lock_holder_commands": [h["command"] for h in holders],
            "loop_reached_training": f"loop-hook {LOOP_KILLED_AT}" in (logs / "iterate_killed.log").read_text(),
            "redacted_url_logged": any("***@" in p.read_text() for p in logs.glob("*.log"))}
