-- Publications: which snapshot went to which Hub repo, at which commit and tag.

CREATE TABLE IF NOT EXISTS publications (
    snapshot_id   VARCHAR NOT NULL,
    snapshot_ref  VARCHAR NOT NULL,
    repo          VARCHAR NOT NULL,         -- org/name on the Hub
    revision      VARCHAR,                  -- commit sha of the upload
    tag           VARCHAR,
    commit_url    VARCHAR,
    private       BOOLEAN,
    forced        BOOLEAN NOT NULL,         -- published despite failed or missing checks (--force)
    check_run_id  VARCHAR,
    files         JSON,
    published_at  TIMESTAMP NOT NULL
);
