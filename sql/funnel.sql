-- Funnel of one snapshot: rows in and out per stage, and the drop reasons of each stage.
-- Parameter $1: snapshot id.
SELECT f.stage_index, f.stage, f.stage_type, f.rows_in, f.rows_out,
       greatest(f.rows_in - f.rows_out, 0) AS dropped,   -- generation stages add rows (k samples)
       coalesce(string_agg(r.reason || '=' || r.rows, ', ' ORDER BY r.rows DESC), '') AS reasons
FROM funnel f
LEFT JOIN funnel_reasons r ON r.snapshot_id = f.snapshot_id AND r.stage_index = f.stage_index
WHERE f.snapshot_id = $1
GROUP BY ALL
ORDER BY f.stage_index;
