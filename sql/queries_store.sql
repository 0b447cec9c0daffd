-- Statements of the store's catalog tables (sql/catalog.sql), loaded by name by curation/store/catalog.py.
-- Each statement follows a `-- name: <statement>` line; parameters are named ($name).

-- name: next_version
SELECT coalesce(max(version), 0) AS version FROM artifacts WHERE name = $name;

-- name: artifact_by_id
SELECT * FROM artifacts WHERE id = $id;

-- name: artifact_latest
SELECT * FROM artifacts WHERE name = $name ORDER BY version DESC LIMIT 1;

-- name: artifact_at_version
SELECT * FROM artifacts WHERE name = $name AND version = $version;

-- name: snapshots
SELECT * FROM artifacts
WHERE artifact_type = 'snapshot' AND ($name IS NULL OR name = $name)
ORDER BY name, version;

-- name: artifacts
SELECT * FROM artifacts WHERE $artifact_type IS NULL OR artifact_type = $artifact_type ORDER BY created_at;

-- name: parent_ids
SELECT src_id FROM edges WHERE dst_id = $id ORDER BY src_id;

-- name: edges_into
-- Edges into any of the artifacts $ids, with their detail (e.g. what a decontaminate stage recorded).
SELECT src_id, dst_id, kind, detail FROM edges WHERE list_contains($ids, dst_id) ORDER BY dst_id, created_at;

-- name: insert_artifact
INSERT INTO artifacts (id, name, version, kind, artifact_type, path, rows, code_version, created_at, manifest)
VALUES ($id, $name, $version, $kind, $artifact_type, $path, $rows, $code_version, $created_at, $manifest);

-- name: insert_edge
INSERT INTO edges (src_id, dst_id, kind, detail, created_at)
VALUES ($src_id, $dst_id, $kind, $detail, $created_at);

-- name: insert_funnel
INSERT INTO funnel (snapshot_id, stage_index, stage, stage_type, rows_in, rows_out, seconds)
VALUES ($snapshot_id, $stage_index, $stage, $stage_type, $rows_in, $rows_out, $seconds);

-- name: insert_funnel_reason
INSERT INTO funnel_reasons (snapshot_id, stage_index, stage, reason, rows)
VALUES ($snapshot_id, $stage_index, $stage, $reason, $rows);

-- name: insert_rejections
INSERT INTO rejections (snapshot_id, row_id, stage_index, stage, reason, detail)
SELECT $snapshot_id, row_id, stage_index, stage, reason, detail FROM read_parquet($files);

-- name: lineage
-- All edges above an artifact (its ancestry, nearest first) and the edges out of it, with names and versions.
WITH RECURSIVE up(src_id, dst_id, kind, depth) AS (
    SELECT src_id, dst_id, kind, 1 FROM edges WHERE dst_id = $id
    UNION
    SELECT e.src_id, e.dst_id, e.kind, up.depth + 1 FROM edges e JOIN up ON e.dst_id = up.src_id
    -- an eval snapshot a stage only compared against (decontamination) is listed, its ancestry is not walked
    WHERE up.depth < 64 AND up.kind <> 'decontaminated_against'
),
-- an edge reached by several paths (a loop's models share ancestors) is listed once, at its nearest depth
nearest AS (SELECT src_id, dst_id, kind, min(depth) AS depth FROM up GROUP BY src_id, dst_id, kind)
SELECT 'ancestor' AS direction, up.depth, up.kind, s.id AS src_id, s.name AS src_name,
       s.version AS src_version, s.kind AS src_kind, d.id AS dst_id, d.name AS dst_name,
       d.version AS dst_version, d.kind AS dst_kind
FROM nearest up JOIN artifacts s ON s.id = up.src_id JOIN artifacts d ON d.id = up.dst_id
UNION ALL
SELECT 'descendant', 1, e.kind, s.id, s.name, s.version, s.kind, d.id, d.name, d.version, d.kind
FROM edges e JOIN artifacts s ON s.id = e.src_id JOIN artifacts d ON d.id = e.dst_id
WHERE e.src_id = $id
ORDER BY direction, depth, dst_name, dst_version, src_name, src_version, kind;

-- name: schema_digest
SELECT digest FROM catalog_schema;

-- name: clear_schema_digest
DELETE FROM catalog_schema;

-- name: insert_schema_digest
INSERT INTO catalog_schema (digest) VALUES ($digest);

-- name: rejection_count
SELECT count(*) AS rows FROM rejections WHERE snapshot_id = $snapshot_id;
