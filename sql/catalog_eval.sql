-- Evals: the artifact itself is a row of `artifacts` (artifact_type 'eval', edges evaluated_on from the
-- snapshot and evaluated from the model); here is what it found, so reports can query accuracy across
-- models and iterations. Per-row results are parquet under <store>/evals/<eval_id>/rows.parquet.

CREATE TABLE IF NOT EXISTS eval_runs (
    eval_id        VARCHAR PRIMARY KEY,
    eval_key       VARCHAR NOT NULL UNIQUE, -- content key: model, snapshot, sampling, k, limit, style, code
    model_ref      VARCHAR NOT NULL,        -- the model as shown (artifact name@vN, folder name, served name)
    model_identity VARCHAR NOT NULL,        -- model artifact id, folder+weights hash, or served:NAME
    model_id       VARCHAR,                 -- the model artifact, when registered
    snapshot_id    VARCHAR NOT NULL,
    snapshot_ref   VARCHAR NOT NULL,
    backend        VARCHAR NOT NULL,
    sampling       VARCHAR NOT NULL,        -- preset name: greedy | sampling | rollout
    mode           VARCHAR NOT NULL,        -- image (VLM) | text (caption + question to a text reasoner)
    k              INTEGER NOT NULL,        -- samples per problem
    style          VARCHAR NOT NULL,        -- default | mathvista | mathvision | per-row
    n              BIGINT NOT NULL,         -- problems
    accuracy       DOUBLE NOT NULL,         -- mean per-problem pass@1
    ci_low         DOUBLE NOT NULL,         -- 95% Wilson interval
    ci_high        DOUBLE NOT NULL,
    rows_path      VARCHAR NOT NULL,        -- relative to the store root
    result         JSON NOT NULL,           -- the whole EvalResult
    created_at     TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS eval_scores (
    eval_id   VARCHAR NOT NULL,
    dimension VARCHAR NOT NULL,             -- overall | source | category
    value     VARCHAR NOT NULL,             -- '' for overall, else the source or category
    metric    VARCHAR NOT NULL,             -- pass@1 (= accuracy), pass@2, pass@4, ...
    n         BIGINT NOT NULL,
    score     DOUBLE NOT NULL,
    ci_low    DOUBLE,                       -- pass@1 only
    ci_high   DOUBLE
);
