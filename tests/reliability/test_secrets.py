"""Issue 14.5: with recognizable fake secrets set, run -> check -> publish --dry-run -> export -> eval -> iterate
(and failing runs and evals against unreachable servers, a run killed holding the store lock) write none of them
anywhere: store, cards, reports, logs, exported folders."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from tests.reliability.secret_scan import FAKE_SECRETS, run_secret_scenario, scan_for_secrets

pytestmark = pytest.mark.server


def test_the_scan_finds_secrets_in_compressed_parquet_duckdb_and_text(tmp_path):
    secret = FAKE_SECRETS["HF_TOKEN"]
    pl.DataFrame({"a": ["x", f"token={secret}"] * 500}).write_parquet(tmp_path / "d.parquet", compression="zstd")
    con = duckdb.connect(str(tmp_path / "c.duckdb"))
    con.execute("CREATE TABLE t AS SELECT ? AS v FROM range(5000)", [f"k={secret}"])
    con.close()
    (tmp_path / "log.txt").write_text(f"hello {secret}")
    hits = scan_for_secrets([tmp_path], FAKE_SECRETS)
    assert {(h.path.rsplit("/", 1)[-1], h.secret_name) for h in hits} >= {
        ("d.parquet", "HF_TOKEN"), ("c.duckdb", "HF_TOKEN"), ("log.txt", "HF_TOKEN")}


def test_no_secret_is_written_anywhere(tmp_path):
    result = run_secret_scenario(tmp_path)
    assert result["exit_codes"] == {"run": 0, "check": 0, "publish": 0, "export_jsonl": 0, "export_hf": 0,
                                    "eval": 0, "iterate_killed": -9, "run_unreachable": 2, "eval_unreachable": 2,
                                    "review_unreachable": 2, "run_killed_holding_lock": -9}
    # 8 run + 2 eval + 2 captions and 2 traces of the loop + 8 of the killed run
    assert result["requests_served"] == 22 and result["files_scanned"] > 20
    assert result["loop_reached_training"]  # its SFT data came from the server named with credentials
    [holder] = result["lock_holder_commands"]  # the killed run's record is left beside the catalog, redacted
    assert "--base-url http://***@127.0.0.1:" in holder
    assert result["hits"] == [] and result["secrets_found"] == 0
    assert result["redacted_url_logged"]  # the Argilla error names the server, credentials replaced
