"""`thinkset check` (table, catalog, HTML report, exit code) and the `check` pipeline stage."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from curation.checks.results import CheckFailed, latest_result
from curation.cli import app
from curation.pipeline import run_recipe
from curation.recipe import load_recipe
from tests.checks.factories import good_frame, trace, write_snapshot
from tests.checks.test_suites import replace_row


def test_check_command_records_result_and_report(store):
    good = write_snapshot(store, "sft", good_frame(store, "sft"), name="sft-a")
    bad_frame = replace_row(good_frame(store, "sft"), 0, response="just an answer")
    bad = write_snapshot(store, "sft", bad_frame, name="sft-b")
    runner = CliRunner()
    ok = runner.invoke(app, ["check", good.ref, "--store", str(store.root)])
    assert ok.exit_code == 0, ok.output
    assert "response_format" in ok.output and "report:" in ok.output
    failed = runner.invoke(app, ["check", "sft-b", "--store", str(store.root)])
    assert failed.exit_code == 1
    assert "1 of" in failed.output and "response_format" in failed.output
    assert latest_result(store, good.id).success
    result = latest_result(store, bad.id)
    assert not result.success and [o.name for o in result.failed] == ["response_format"]
    report = Path(result.report_path).read_text()
    assert "FAIL" in report and bad_frame["id"][0] in report and "sft-b@v1" in report
    runs = store.catalog.query("SELECT snapshot_ref, success, failed FROM check_runs ORDER BY created_at")
    assert [(r["snapshot_ref"], r["success"], r["failed"]) for r in runs] == [("sft-a@v1", True, 0),
                                                                             ("sft-b@v1", False, 1)]


def test_check_command_errors_are_clean(store, tmp_path):
    runner = CliRunner()
    missing = runner.invoke(app, ["check", "nope@v3", "--store", str(store.root)])
    assert missing.exit_code == 2 and "no snapshot 'nope@v3'" in missing.output
    write_snapshot(store, "sft", good_frame(store, "sft"), name="sft-a")
    checks = tmp_path / "checks.yaml"
    checks.write_text(yaml.safe_dump({"checks": {"max_words": "many"}}))
    bad = runner.invoke(app, ["check", "sft-a", "--checks", str(checks), "--store", str(store.root)])
    assert bad.exit_code == 2 and "max_words" in bad.output


def recipe(tmp_path, stages, **top) -> str:
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump({"name": "t", "input": "rollouts-in", "output": "sft-out", "stages": stages,
                                    **top}))
    return str(path)


def test_check_stage_passes_rows_through_and_records_final_result(store, tmp_path):
    frame = good_frame(store, "rollouts")
    write_snapshot(store, "rollouts", frame, name="rollouts-in")
    path = recipe(tmp_path, [{"type": "length", "max_words": 500}, {"type": "check", "min_rows": 5}],
                  checks={"source_mix": {"synth_chart": [0.3, 0.7]}})
    result = run_recipe(load_recipe(path), store)
    snap = store.open(result.final.ref)
    assert snap.info.rows == frame.height
    assert snap.manifest["metadata"]["checks"] == {"source_mix": {"synth_chart": [0.3, 0.7]}}
    recorded = latest_result(store, snap.info.id)
    assert recorded is not None and recorded.success and recorded.kind == "rollouts"
    assert "source_mix:synth_chart" in {o.name for o in recorded.outcomes}
    assert recorded.config["min_rows"] == 5


def test_failing_check_stage_stops_the_run(store, tmp_path):
    frame = replace_row(good_frame(store, "rollouts"), 2, response=trace("1", words=900))
    write_snapshot(store, "rollouts", frame, name="rollouts-in")
    path = recipe(tmp_path, [{"type": "check", "max_words": 500}])
    with pytest.raises(CheckFailed, match=r"word_count.*1 of 12 rows"):
        run_recipe(load_recipe(path), store)
    assert store.list("sft-out") == [], "no snapshot is written when a check stage fails"
    cli = CliRunner().invoke(app, ["run", path, "--store", str(store.root)])
    assert cli.exit_code == 2 and "word_count" in cli.output and "Traceback" not in cli.output
