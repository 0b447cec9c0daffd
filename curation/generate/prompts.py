"""Prompt templates: Jinja2 text kept in files, not code.

A recipe's ``prompt_template`` is the name of a bundled template (``caption``,
``reason_text``, ``reason_image`` in ``curation/generate/prompts/``), a path to a
template file, or the template text itself. Templates see the row's
``problem``, ``choices``, ``caption``, ``source`` and ``metadata`` (a dict) —
never the gold answer — and can call ``question_text(problem, choices)``, the
prompt training and evaluation give a model (``reason_image`` is exactly that).
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from curation.rows import StageFailed
from curation.verify.trace_format import INSTRUCTION

# Bundled templates are package data (curation/generate/prompts/*.j2), read with importlib.resources.
PROMPTS = resources.files("curation.generate").joinpath("prompts")
# Sandboxed: a template comes from a recipe, and a recipe is data; `{{ ''.__class__.__mro__ }}` and other
# reaches into Python internals raise SecurityError instead of running.
_ENV = SandboxedEnvironment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False, autoescape=False)


def question_text(problem: str, choices: list[str] | None, instruction: str = INSTRUCTION) -> str:
    """The question a model is asked about an image: the problem, lettered choices when there are some, then
    the instruction. SFT/GRPO data (training.data), evaluation and the ``reason_image`` template all use it, so
    a model is sampled with the wording it was trained on."""
    text = problem.strip()
    if choices:
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        text += "\nChoices:\n" + "\n".join(f"({letters[i]}) {c}" for i, c in enumerate(choices))
    return f"{text}\n{instruction}" if instruction else text


_ENV.globals["question_text"] = question_text


class TemplateError(StageFailed, ValueError):
    """A template that cannot be found or rendered; names the template and what is wrong."""


def template_source(spec: str) -> str:
    """The text of template ``spec`` (bundled name, file path, or inline text)."""
    bundled = PROMPTS.joinpath(f"{spec}.j2")
    if "\n" not in spec and "{" not in spec and "/" not in spec and bundled.is_file():
        return bundled.read_text(encoding="utf-8")
    path = Path(spec)
    if "\n" not in spec and path.suffix in (".j2", ".jinja", ".txt", ".md"):
        if not path.is_file():
            known = ", ".join(sorted(p.name[:-3] for p in PROMPTS.iterdir() if p.name.endswith(".j2")))
            raise TemplateError(f"prompt_template {spec!r}: no such file (bundled templates: {known})")
        return path.read_text()
    return spec


def template_digest(spec: str) -> str:
    """Hash of the template text, so a changed template file changes the snapshot's content id."""
    return hashlib.sha256(template_source(spec).encode()).hexdigest()[:16]


@lru_cache(maxsize=32)
def _compiled(source: str) -> jinja2.Template:
    try:
        return _ENV.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"prompt template line {exc.lineno}: {exc.message}") from None


def row_variables(row: dict[str, Any]) -> dict[str, Any]:
    metadata = row.get("metadata")
    try:
        metadata = json.loads(metadata) if isinstance(metadata, str) and metadata else (metadata or {})
    except json.JSONDecodeError:
        metadata = {}
    return {"problem": row.get("problem") or "", "choices": list(row.get("choices") or []),
            "caption": row.get("caption"), "source": row.get("source") or "", "metadata": metadata}


def render(spec: str, row: dict[str, Any]) -> str:
    """Render template ``spec`` for one row; raises TemplateError naming the row id on a missing variable."""
    try:
        return _compiled(template_source(spec)).render(**row_variables(row)).strip()
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"prompt template {spec[:40]!r} for row {row.get('id')}: {exc.message}; "
                            "templates see problem, choices, caption, source, metadata") from None
    except jinja2.exceptions.SecurityError as exc:
        raise TemplateError(f"prompt template {spec[:40]!r}: {exc}; templates may only format the row's "
                            "values, not reach into Python objects") from None
