-- Statements of the check tables (sql/catalog_checks.sql), loaded by name by curation/store/catalog.py.

-- name: insert_check_run
INSERT INTO check_runs (run_id, snapshot_id, snapshot_ref, kind, success, rows, expectations, failed, seconds,
                        config, report_path, created_at)
VALUES ($run_id, $snapshot_id, $snapshot_ref, $kind, $success, $rows, $expectations, $failed, $seconds,
        $config, $report_path, $created_at);

-- name: insert_check_outcome
INSERT INTO check_outcomes (run_id, position, name, expectation, column_name, success, element_count,
                            unexpected_count, observed, examples, message)
VALUES ($run_id, $position, $name, $expectation, $column_name, $success, $element_count,
        $unexpected_count, $observed, $examples, $message);

-- name: latest_check_run
SELECT * FROM check_runs WHERE snapshot_id = $snapshot_id ORDER BY created_at DESC LIMIT 1;

-- name: check_outcomes
SELECT * FROM check_outcomes WHERE run_id = $run_id ORDER BY position;
