-- thinkset review tables: which rows went to Argilla, and what reviewers answered.
-- A review is also an artifact (artifact_type 'review') with an edge snapshot -> review ('reviewed_in');
-- `review apply` adds review -> new snapshot ('applied_to'). No API key is ever stored here.

CREATE TABLE IF NOT EXISTS reviews (
    review_id   VARCHAR PRIMARY KEY,      -- the review artifact's id
    snapshot_id VARCHAR NOT NULL,
    workspace   VARCHAR NOT NULL,
    dataset     VARCHAR NOT NULL,         -- Argilla dataset name
    api_url     VARCHAR NOT NULL,         -- where it was pushed (the key is never kept)
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (snapshot_id, workspace, dataset)
);

CREATE TABLE IF NOT EXISTS review_pushes (
    review_id        VARCHAR NOT NULL,
    pushed_at        TIMESTAMP NOT NULL,
    sample_size      INTEGER NOT NULL,
    stratify         VARCHAR NOT NULL,    -- comma-separated columns
    include_rejected INTEGER NOT NULL,
    seed             BIGINT NOT NULL,
    records_added    INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS review_items (
    review_id    VARCHAR NOT NULL,
    row_id       VARCHAR NOT NULL,
    origin       VARCHAR NOT NULL,        -- kept | rejected (by an automatic filter)
    filter_stage VARCHAR,                 -- 'kept' or the stage that dropped the row
    filter_stage_index INTEGER,
    filter_reason VARCHAR,
    PRIMARY KEY (review_id, row_id)
);

CREATE TABLE IF NOT EXISTS review_responses (
    review_id        VARCHAR NOT NULL,
    row_id           VARCHAR NOT NULL,
    reviewer         VARCHAR NOT NULL,    -- Argilla user id
    status           VARCHAR NOT NULL,    -- submitted (drafts and discarded are not pulled)
    decision         VARCHAR,             -- accept | reject
    quality          INTEGER,
    corrected_answer VARCHAR,
    note             VARCHAR,
    PRIMARY KEY (review_id, row_id, reviewer)
);
