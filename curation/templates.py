"""The one Jinja setup of thinkset: templates of the ``data_cards`` package (dataset and model cards, check
reports), read with importlib.resources so a wheel install finds them.

HTML templates are autoescaped; a missing value is an error (StrictUndefined); block tags take their own
line break with them (trim_blocks, lstrip_blocks), so templates read like the Markdown they produce. The
environment is sandboxed: values rendered into a card come from data (snapshot names, recipe text, metadata),
and a template can never reach Python internals through them.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from jinja2 import BaseLoader, Environment, StrictUndefined, TemplateNotFound, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

TEMPLATE_PACKAGE = "data_cards"  # the top-level data_cards/ folder, shipped as a package


class PackageLoader(BaseLoader):
    """Templates from a package's files via importlib.resources (a source checkout, a wheel, a zip alike)."""

    def __init__(self, package: str) -> None:
        self.package = package

    def get_source(self, environment: Environment, template: str) -> tuple[str, str | None, Any]:
        resource = resources.files(self.package).joinpath(template)
        if not resource.is_file():
            raise TemplateNotFound(template)
        return resource.read_text(encoding="utf-8"), f"{self.package}/{template}", lambda: True


@cache
def environment() -> Environment:
    return SandboxedEnvironment(loader=PackageLoader(TEMPLATE_PACKAGE), undefined=StrictUndefined,
                       autoescape=select_autoescape(["html", "html.j2"]), trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)


def render(template: str, **values: Any) -> str:
    """Render ``data_cards/<template>`` with ``values``."""
    return environment().get_template(template).render(**values)
