"""Recipes: a YAML file naming an input snapshot, ordered typed stages and an output snapshot.

Everything is validated before any work starts; a bad recipe raises RecipeError
naming the file, the stage index and the field, and the CLI exits with code 2.

A recipe is data, never code: YAML is read with the safe loader (no Python tags), its size after
expanding anchors is bounded (an alias bomb is refused, not expanded), and every snapshot name it
gives (``input``, ``output``, a stage's ``output``) must be a plain name that stays inside the store.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from curation.packaged_recipes import packaged_recipe
from curation.safe_paths import check_path_segment, check_snapshot_name
from curation.stages.base import SourceStage, Stage, StageParams
from curation.stages.registry import get_stage, load_stages

RESERVED_STAGE_KEYS = ("type", "name", "output")
MAX_RECIPE_NODES = 100_000  # values in a recipe after expanding YAML anchors; real recipes have a few hundred
MAX_RECIPE_DEPTH = 64  # nested mappings/lists; real recipes nest 4 deep (deeper YAML makes the loader recurse)
MAX_RECIPE_CHARS = 1_000_000  # real recipes are a few KB
_REF_SUFFIX = re.compile(r"@v?\d+$")


class RecipeError(ValueError):
    """A recipe that cannot run; the message names the file and the field."""


class StageSpec(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    type: str
    name: str
    output: str | None = Field(None, description="write a snapshot with this name after this stage")
    params: StageParams

    @property
    def stage_class(self) -> type[Stage]:
        return get_stage(self.type)


class Recipe(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="recipe name, recorded in every snapshot it writes")
    description: str = Field("", description="what this recipe makes, for people")
    input: str | None = Field(None, description="input snapshot NAME or NAME@vN; omit when the first stage is a source")
    output: str = Field(description="name of the final snapshot")
    seed: int = Field(0, description="seed handed to every stage")
    batch_rows: int = Field(50_000, gt=0, description="rows per batch streamed through batch stages")
    options: dict[str, Any] = Field(default_factory=dict, description="defaults for CLI options (backend, base_url, model)")
    checks: dict[str, Any] = Field(default_factory=dict, description="extra expectations for the output snapshot's checks")
    stages: list[StageSpec] = Field(min_length=1, description="the stages, in order")
    path: str | None = Field(None, description="the file this recipe was loaded from")
    digest: str = Field("", description="sha256 of the recipe text")

    @field_validator("name")
    @classmethod
    def _name_is_a_folder(cls, value: str) -> str:
        return check_path_segment(value, "recipe name (it names the recipe's work folder)")

    @field_validator("output")
    @classmethod
    def _plain_output(cls, value: str) -> str:
        return check_snapshot_name(value, "snapshot name")

    @field_validator("input")
    @classmethod
    def _plain_input(cls, value: str | None) -> str | None:
        if value is not None:
            check_snapshot_name(_REF_SUFFIX.sub("", value.strip()), "snapshot reference (NAME or NAME@vN)")
        return value


def _field_path(error: dict[str, Any]) -> str:
    return ".".join(str(part) for part in error["loc"]) or "(top level)"


def parse_stage(raw: Any, index: int, where: str, seen: dict[str, int]) -> StageSpec:
    prefix = f"{where}: stages[{index}]"
    if not isinstance(raw, dict):
        raise RecipeError(f"{prefix}: expected a mapping with a 'type', got {type(raw).__name__}")
    if "type" not in raw:
        raise RecipeError(f"{prefix}: missing field 'type' (one of: {', '.join(sorted(load_stages()))})")
    stage_type = str(raw["type"])
    try:
        stage_class = get_stage(stage_type)
    except KeyError:
        known = ", ".join(sorted(load_stages()))
        raise RecipeError(f"{prefix}.type: unknown stage type {stage_type!r}; known types: {known}") from None
    params = {k: v for k, v in raw.items() if k not in RESERVED_STAGE_KEYS}
    try:
        validated = stage_class.Params.model_validate(params)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                allowed = ", ".join(stage_class.Params.model_fields) or "none"
                message = f"unknown param (params of {stage_type!r}: {allowed})"
            problems.append(f"{prefix} ({stage_type}).{_field_path(error)}: {message}")
        raise RecipeError("\n".join(problems)) from None
    seen[stage_type] = seen.get(stage_type, 0) + 1
    name = str(raw.get("name") or (stage_type if seen[stage_type] == 1 else f"{stage_type}-{seen[stage_type]}"))
    try:
        check_path_segment(name, f"{prefix}.name")
    except ValueError as exc:
        raise RecipeError(str(exc)) from None
    output = raw.get("output")
    if output is not None:
        try:
            check_snapshot_name(output, f"{prefix}.output")
        except ValueError as exc:
            raise RecipeError(str(exc)) from None
    return StageSpec(type=stage_type, name=name, output=output, params=validated)


def recipe_from_dict(data: Any, where: str = "<recipe>", text: str = "") -> Recipe:
    if not isinstance(data, dict):
        raise RecipeError(f"{where}: a recipe is a YAML mapping with 'name', 'output' and 'stages'")
    raw_stages = data.get("stages")
    if raw_stages is None and "iterations" in data:
        raise RecipeError(f"{where}: this is a loop recipe (it has `iterations:`, no `stages:`); run it with "
                          f"`thinkset iterate {where}`")
    if not isinstance(raw_stages, list) or not raw_stages:
        raise RecipeError(f"{where}: stages: a recipe needs a non-empty list of stages")
    seen: dict[str, int] = {}
    stages = [parse_stage(raw, i, where, seen) for i, raw in enumerate(raw_stages)]
    top = {k: v for k, v in data.items() if k != "stages"}
    try:
        recipe = Recipe.model_validate({**top, "stages": stages, "path": where,
                                        "digest": hashlib.sha256(text.encode()).hexdigest()})
    except ValidationError as exc:
        raise RecipeError("\n".join(f"{where}: {_field_path(e)}: {e['msg'].removeprefix('Value error, ')}"
                                     for e in exc.errors())) from None
    first = stages[0].stage_class
    if recipe.input is None and not issubclass(first, SourceStage):
        raise RecipeError(f"{where}: input: missing; name an input snapshot or start with a source stage "
                          f"(stage 0 is {stages[0].type!r})")
    for index, spec in enumerate(stages[1:], start=1):
        if issubclass(spec.stage_class, SourceStage):
            raise RecipeError(f"{where}: stages[{index}] ({spec.type}): a source stage can only be the first stage")
    return recipe


def load_recipe(path: str | Path) -> Recipe:
    """Read and validate a recipe file (or a packaged recipe by name, e.g. ``demo``, when no such file exists);
    raises RecipeError naming the file and field on any problem."""
    path = Path(path)
    if not path.exists() and path.parent == Path(".") and (packaged := packaged_recipe(path.name)) is not None:
        path = packaged
    where = str(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise RecipeError(f"{where}: no such recipe file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RecipeError(f"{where}: cannot read the recipe file ({exc})") from None
    if len(text) > MAX_RECIPE_CHARS:
        raise RecipeError(f"{where}: {len(text):,} characters; a recipe is a few thousand (is this the right file?)")
    try:
        _check_depth(text, where)
        data = yaml.safe_load(text)  # the safe loader: a !!python tag is an error, never an object
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise RecipeError(f"{where}: malformed YAML{at}: {getattr(exc, 'problem', exc)}") from None
    except RecursionError:
        raise RecipeError(f"{where}: the YAML nests too deeply to be a recipe") from None
    _check_size(data, where)
    return recipe_from_dict(data, where, text)


def _check_depth(text: str, where: str) -> None:
    """Refuse YAML nested deeper than MAX_RECIPE_DEPTH, from the parser's events, before the recursive loader runs."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            depth += 1
            if depth > MAX_RECIPE_DEPTH:
                raise RecipeError(f"{where}: the YAML nests more than {MAX_RECIPE_DEPTH} levels deep; "
                                  "a recipe nests a few")
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1


def _check_size(data: Any, where: str) -> None:
    """Refuse a recipe whose values, with YAML anchors expanded, exceed MAX_RECIPE_NODES (an alias bomb)."""
    pending, seen = [data], 0
    while pending:
        value = pending.pop()
        seen += 1
        if seen > MAX_RECIPE_NODES:
            raise RecipeError(f"{where}: more than {MAX_RECIPE_NODES:,} values once YAML anchors are expanded; "
                              "a recipe is a few hundred (check for anchors that reference each other)")
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
