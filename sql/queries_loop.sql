-- Statements of the loop tables (sql/catalog_loops.sql) that `thinkset iterate` and `thinkset report` use;
-- loaded by name by curation/store/catalog.py.

-- name: upsert_loop
INSERT INTO loops (name, recipe_path, recipe_digest, config, created_at, updated_at)
VALUES ($name, $recipe_path, $recipe_digest, $config, $now, $now)
ON CONFLICT (name) DO UPDATE SET recipe_path = excluded.recipe_path, recipe_digest = excluded.recipe_digest,
    config = excluded.config, updated_at = excluded.updated_at;

-- name: loop_by_name
SELECT name, recipe_path, recipe_digest, config, created_at, updated_at FROM loops WHERE name = $name;

-- name: loop_names
SELECT name FROM loops ORDER BY name;

-- name: insert_loop_event
INSERT INTO loop_events (loop, iteration, step, event, step_key, event_at, detail)
VALUES ($loop, $iteration, $step, $event, $step_key, $event_at, $detail);

-- name: upsert_loop_step
INSERT INTO loop_steps (loop, iteration, step, status, step_key, artifact_id, artifact_ref, started_at, finished_at,
                        seconds, detail)
VALUES ($loop, $iteration, $step, $status, $step_key, $artifact_id, $artifact_ref, $started_at, $finished_at,
        $seconds, $detail)
ON CONFLICT (loop, iteration, step) DO UPDATE SET status = excluded.status, step_key = excluded.step_key,
    artifact_id = excluded.artifact_id, artifact_ref = excluded.artifact_ref, started_at = excluded.started_at,
    finished_at = excluded.finished_at, seconds = excluded.seconds, detail = excluded.detail;

-- name: loop_step
SELECT * FROM loop_steps WHERE loop = $loop AND iteration = $iteration AND step = $step;

-- name: loop_steps
SELECT * FROM loop_steps WHERE loop = $loop ORDER BY iteration, started_at;

-- name: loop_events
SELECT * FROM loop_events WHERE loop = $loop AND ($event IS NULL OR event = $event) ORDER BY event_at;
