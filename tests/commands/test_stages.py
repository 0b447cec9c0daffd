"""`thinkset stages`: every registered stage with its params, types, defaults and help."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from curation.cli import app
from curation.stages.registry import load_stages

runner = CliRunner()


def test_json_lists_every_registered_stage_with_every_param():
    result = runner.invoke(app, ["stages", "--json"])
    assert result.exit_code == 0, result.output
    listed = {stage["type"]: stage for stage in json.loads(result.output)}
    registered = load_stages()
    assert set(listed) == set(registered) and len(listed) >= 13
    for name, stage in registered.items():
        params = listed[name]["params"]
        assert [p["name"] for p in params] == list(stage.Params.model_fields)
        assert listed[name]["description"] == stage.description
        if stage.__module__.startswith("curation."):  # tests register helper stages too
            assert stage.description, f"stage {name!r} has no description"
    length = {p["name"]: p for p in listed["length"]["params"]}
    assert length["max_words"] == {"name": "max_words", "type": "int | None", "default": 500, "required": False,
                                   "help": "drop responses with more words than this (paper: 500)"}
    assert {p["name"]: p["required"] for p in listed["ingest"]["params"]}["path"] is True
    assert listed["select"]["output_kind"] == "sft" and listed["select"]["scope"] == "global"


def test_table_shows_each_stage_and_its_params_as_written():
    result = runner.invoke(app, ["stages"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in load_stages():
        assert f"{name} params" in result.output
    # help text with brackets is printed as written, not eaten as rich markup
    assert "[min_words, max_words]" in result.output
    one = runner.invoke(app, ["stages", "reflection"])
    assert one.exit_code == 0 and "reflection params" in one.output and "length params" not in one.output


def test_unknown_stage_type_names_the_known_ones():
    result = runner.invoke(app, ["stages", "lenght"])
    assert result.exit_code == 2 and "unknown stage type 'lenght'" in result.output and "length" in result.output
