"""Jinja templates kept in the top-level ``data_cards/`` folder (cards, check reports)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "data_cards"


def render(template: str, **values: Any) -> str:
    """Render ``data_cards/<template>``; HTML templates are autoescaped, a missing value is an error."""
    env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html", "html.j2"]), trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    return env.get_template(template).render(**values)
