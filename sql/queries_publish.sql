-- Statements of the publications table (sql/catalog_publish.sql), loaded by name by curation/store/catalog.py.

-- name: insert_publication
INSERT INTO publications (snapshot_id, snapshot_ref, repo, revision, tag, commit_url, private, forced,
                          check_run_id, files, published_at)
VALUES ($snapshot_id, $snapshot_ref, $repo, $revision, $tag, $commit_url, $private, $forced,
        $check_run_id, $files, $published_at);
