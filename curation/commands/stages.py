"""`thinkset stages [TYPE]`: every stage a recipe can use, with its params, their types, defaults and help."""

# No `from __future__ import annotations`: typer reads these annotations at runtime.
from typing import Annotated, Any

import typer

from curation.commands.common import JsonOption, console, fail, print_json, table
from curation.params_help import describe_fields
from curation.stages.base import Stage
from curation.stages.registry import load_stages


def stage_help(stage: type[Stage]) -> dict[str, Any]:
    """What a recipe author needs to know about one stage type."""
    return {"type": stage.type, "description": stage.description, "scope": stage.scope,
            "output_kind": stage.output_kind, "module": stage.__module__,
            "params": [field.to_json() for field in describe_fields(stage.Params)]}


def stages(
    stage_type: Annotated[str | None, typer.Argument(metavar="[TYPE]", help="only this stage type")] = None,
    json_out: JsonOption = False,
) -> None:
    """List every stage type with what it does and its params (type, default, help)."""
    registered = load_stages()
    if stage_type is not None and stage_type not in registered:
        fail(f"unknown stage type {stage_type!r}; known types: {', '.join(sorted(registered))}")
    chosen = [registered[stage_type]] if stage_type else [registered[name] for name in sorted(registered)]
    if json_out:
        print_json([stage_help(stage) for stage in chosen])
        return
    console.print(table("stages (recipe `type:`)", ["type", "scope", "makes", "what it does"],
                        [[s.type, s.scope, s.output_kind or "same kind", s.description] for s in chosen]))
    for stage in chosen:
        console.print(table(f"{stage.type} params", ["param", "type", "default", "help"],
                            [[f.name, f.type, f.default_text(), f.help] for f in describe_fields(stage.Params)]))


def register(app: typer.Typer) -> None:
    app.command()(stages)
