-- thinkset catalog: artifacts (snapshots, models, reviews), lineage edges, funnel counts, rejections.
-- Applied idempotently each time a store is opened; features add tables in sql/catalog_<feature>.sql.

CREATE TABLE IF NOT EXISTS artifacts (
    id            VARCHAR PRIMARY KEY,      -- content id (snapshots) or generated id (models, reviews)
    name          VARCHAR NOT NULL,
    version       INTEGER NOT NULL,
    kind          VARCHAR NOT NULL,         -- pool | rollouts | sft | grpo | model | review | ...
    artifact_type VARCHAR NOT NULL,         -- snapshot | model | review
    path          VARCHAR NOT NULL,         -- relative to the store root when inside it
    rows          BIGINT,
    code_version  VARCHAR,
    created_at    TIMESTAMP NOT NULL,
    manifest      JSON,
    UNIQUE (name, version)
);

CREATE TABLE IF NOT EXISTS edges (
    src_id     VARCHAR NOT NULL,            -- the parent: input snapshot, training data, ...
    dst_id     VARCHAR NOT NULL,            -- the child
    kind       VARCHAR NOT NULL,            -- filtered_from | generated_by | trained_on | selected_with | reviewed_in | ...
    detail     JSON,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS funnel (
    snapshot_id VARCHAR NOT NULL,
    stage_index INTEGER NOT NULL,
    stage       VARCHAR NOT NULL,
    stage_type  VARCHAR NOT NULL,
    rows_in     BIGINT NOT NULL,
    rows_out    BIGINT NOT NULL,
    seconds     DOUBLE
);

CREATE TABLE IF NOT EXISTS funnel_reasons (
    snapshot_id VARCHAR NOT NULL,
    stage_index INTEGER NOT NULL,
    stage       VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL,
    rows        BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS rejections (
    snapshot_id VARCHAR NOT NULL,
    row_id      VARCHAR,
    stage_index INTEGER NOT NULL,
    stage       VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL,
    detail      VARCHAR
);

-- The hash of the DDL last applied: a reader finding it current runs no DDL (and takes no write lock).
CREATE TABLE IF NOT EXISTS catalog_schema (
    digest VARCHAR NOT NULL
);
