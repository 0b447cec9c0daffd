-- Statements of the eval tables (sql/catalog_eval.sql), loaded by name by curation/store/catalog.py.

-- name: insert_eval_run
INSERT INTO eval_runs (eval_id, eval_key, model_ref, model_identity, model_id, snapshot_id, snapshot_ref, backend,
                       sampling, mode, k, style, n, accuracy, ci_low, ci_high, rows_path, result, created_at)
VALUES ($eval_id, $eval_key, $model_ref, $model_identity, $model_id, $snapshot_id, $snapshot_ref, $backend,
        $sampling, $mode, $k, $style, $n, $accuracy, $ci_low, $ci_high, $rows_path, $result, $created_at);

-- name: insert_eval_score
INSERT INTO eval_scores (eval_id, dimension, value, metric, n, score, ci_low, ci_high)
VALUES ($eval_id, $dimension, $value, $metric, $n, $score, $ci_low, $ci_high);

-- name: eval_by_key
SELECT eval_id, snapshot_id, result, rows_path FROM eval_runs WHERE eval_key = $eval_key;

-- name: eval_by_id
SELECT eval_id, snapshot_id, result, rows_path FROM eval_runs WHERE eval_id = $eval_id;

-- name: evals
SELECT r.eval_id, a.name, a.version, r.model_ref, r.snapshot_ref, r.backend, r.k, r.style, r.n, r.accuracy,
       r.ci_low, r.ci_high, r.created_at
FROM eval_runs r JOIN artifacts a ON a.id = r.eval_id
ORDER BY r.created_at;

-- name: evals_named
-- Evals by artifact name (eval-MODEL-on-SNAPSHOT), newest version first.
SELECT r.eval_id, r.snapshot_id FROM eval_runs r JOIN artifacts a ON a.id = r.eval_id
WHERE a.name = $name AND ($version IS NULL OR a.version = $version)
ORDER BY a.version DESC;

-- name: evals_of_model
SELECT eval_id, snapshot_id FROM eval_runs WHERE model_identity = $model_identity ORDER BY created_at DESC;

-- name: model_artifact_by_path
SELECT id, name, version, path FROM artifacts WHERE artifact_type = 'model' AND path = $path
ORDER BY created_at DESC LIMIT 1;

-- name: model_artifact_by_id
SELECT id, name, version, path FROM artifacts WHERE artifact_type = 'model' AND id = $id;
