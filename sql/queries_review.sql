-- Statements of the review tables (sql/catalog_review.sql), loaded by name by curation/store/catalog.py.

-- name: reviews_of_snapshot
SELECT review_id, snapshot_id, workspace, dataset, api_url FROM reviews
WHERE snapshot_id = $snapshot_id ORDER BY created_at;

-- name: insert_review
INSERT INTO reviews (review_id, snapshot_id, workspace, dataset, api_url, created_at)
VALUES ($review_id, $snapshot_id, $workspace, $dataset, $api_url, $created_at);

-- name: insert_review_push
INSERT INTO review_pushes (review_id, pushed_at, sample_size, stratify, include_rejected, seed, records_added)
VALUES ($review_id, $pushed_at, $sample_size, $stratify, $include_rejected, $seed, $records_added);

-- name: insert_review_item
-- A row already listed for this review stays as it was.
INSERT OR IGNORE INTO review_items (review_id, row_id, origin, filter_stage, filter_stage_index, filter_reason)
VALUES ($review_id, $row_id, $origin, $filter_stage, $filter_stage_index, $filter_reason);

-- name: review_items
SELECT row_id, origin, filter_stage, filter_stage_index, filter_reason FROM review_items
WHERE review_id = $review_id ORDER BY row_id;

-- name: review_responses
SELECT review_id, row_id, reviewer, status, decision, quality, corrected_answer, note FROM review_responses
WHERE review_id = $review_id ORDER BY row_id, reviewer;

-- name: delete_review_responses
DELETE FROM review_responses WHERE review_id = $review_id;

-- name: insert_review_response
INSERT INTO review_responses (review_id, row_id, reviewer, status, decision, quality, corrected_answer, note)
VALUES ($review_id, $row_id, $reviewer, $status, $decision, $quality, $corrected_answer, $note);

-- name: review_summary
-- Reviewer decisions per reviewed snapshot among $snapshot_ids (for the dataset card).
SELECT a.name || '@v' || a.version AS snapshot, rv.dataset, count(DISTINCT rr.row_id) AS rows_reviewed,
       count(DISTINCT rr.reviewer) AS reviewers,
       count(*) FILTER (WHERE rr.decision = 'accept') AS accepted,
       count(*) FILTER (WHERE rr.decision = 'reject') AS rejected,
       round(avg(rr.quality), 2) AS mean_quality,
       count(*) FILTER (WHERE rr.corrected_answer IS NOT NULL AND rr.corrected_answer <> '') AS corrected
FROM reviews rv JOIN review_responses rr USING (review_id) JOIN artifacts a ON a.id = rv.snapshot_id
WHERE list_contains($snapshot_ids, rv.snapshot_id)
GROUP BY ALL
ORDER BY snapshot;
