"""Templates from recipes and cards are rendered in a Jinja sandbox: reaching Python internals is refused."""

from __future__ import annotations

import pytest
from jinja2.sandbox import SandboxedEnvironment

from curation import templates
from curation.generate.prompts import TemplateError, render

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
