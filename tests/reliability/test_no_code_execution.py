"""Templates from recipes and cards are rendered in a Jinja sandbox: reaching Python internals is refused; and no
module evaluates code (eval/exec), unpickles, or loads YAML with an unsafe loader."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from jinja2.sandbox import SandboxedEnvironment

from curation import templates
from curation.generate.prompts import TemplateError, render

ROOT = Path(__file__).resolve().parents[2]
ROW = {"id": "r1", "problem": "What is 2 + 2?", "choices": [], "source": "s", "metadata": "{}"}


@pytest.mark.parametrize("template", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ problem.__class__.__init__.__globals__ }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
])
def test_a_prompt_template_cannot_reach_python(template):
    with pytest.raises(TemplateError, match="not reach into Python"):
        render(template, ROW)


def test_ordinary_prompt_templates_still_render():
    assert render("Q: {{ problem | upper }} ({{ choices | length }} choices)", ROW) == "Q: WHAT IS 2 + 2? (0 choices)"


def test_card_templates_render_in_the_sandbox():
    assert isinstance(templates.environment(), SandboxedEnvironment)


def _calls(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                names.append(func.id)
            elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                names.append(f"{func.value.id}.{func.attr}")
    return names


def test_no_module_evaluates_code_or_loads_yaml_unsafely():
    forbidden = {"eval", "exec", "compile", "yaml.load", "yaml.unsafe_load", "yaml.full_load", "pickle.loads",
                 "pickle.load", "jinja2.Environment", "Environment", "marshal.loads"}
    found = []
    for package in ("curation", "training"):
        for path in sorted((ROOT / package).rglob("*.py")):
            found += [f"{path.relative_to(ROOT)}: {name}" for name in _calls(ast.parse(path.read_text()))
                      if name in forbidden]
    assert found == []
