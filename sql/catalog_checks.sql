-- Check runs (one per `thinkset check` or pipeline check stage) and the outcome of each expectation.
-- A snapshot's current verdict is its latest run; publish refuses a snapshot whose latest run failed.

CREATE TABLE IF NOT EXISTS check_runs (
    run_id        VARCHAR PRIMARY KEY,
    snapshot_id   VARCHAR NOT NULL,
    snapshot_ref  VARCHAR NOT NULL,         -- name@vN at the time of the run
    kind          VARCHAR NOT NULL,         -- the suite: pool | rollouts | sft | grpo
    success       BOOLEAN NOT NULL,
    rows          BIGINT NOT NULL,
    expectations  INTEGER NOT NULL,
    failed        INTEGER NOT NULL,
    seconds       DOUBLE,
    config        JSON,                     -- the resolved checks config (kind defaults + recipe `checks:`)
    report_path   VARCHAR,                  -- the HTML report
    created_at    TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS check_outcomes (
    run_id           VARCHAR NOT NULL,
    position         INTEGER NOT NULL,
    name             VARCHAR NOT NULL,      -- check name, e.g. answer_not_empty
    expectation      VARCHAR NOT NULL,      -- GX expectation type, or thinkset:<check>
    column_name      VARCHAR,
    success          BOOLEAN NOT NULL,
    element_count    BIGINT,
    unexpected_count BIGINT,
    observed         VARCHAR,
    examples         JSON,                  -- a few offending values with their row ids
    message          VARCHAR
);
