"""Self-documenting settings: every field of a pydantic model as (name, type, default, help).

Stage params and training presets are pydantic models whose fields carry their help text; the CLI
(`thinkset stages`, `thinkset train presets`) and the docs read them through this one function.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True)
class FieldHelp:
    name: str
    type: str
    default: Any  # the default value; None for a required field (see ``required``)
    required: bool
    help: str

    def default_text(self) -> str:
        return "(required)" if self.required else repr(self.default)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "default": self.default, "required": self.required,
                "help": self.help}


def describe_fields(model: type[BaseModel]) -> list[FieldHelp]:
    """The fields of ``model`` in declaration order, with their type, default and help text."""
    rows = []
    for name, info in model.model_fields.items():
        required = info.is_required()
        default = None if required else info.get_default(call_default_factory=True)
        # ``list[str].__name__`` is "list": only a plain class is named by its __name__
        plain = not getattr(info.annotation, "__args__", None) and hasattr(info.annotation, "__name__")
        type_text = info.annotation.__name__ if plain else str(info.annotation).replace("typing.", "")
        rows.append(FieldHelp(name, type_text, default, required, info.description or ""))
    return rows
