-- thinkset loop tables: where a `thinkset iterate` loop stands. Every step's output is an artifact
-- (snapshot, model, eval) with lineage; these rows say which step made it, with which inputs, and when.
-- A step is done when its artifact exists with the same step_key (hash of its inputs and config).

CREATE TABLE IF NOT EXISTS loops (
    name          VARCHAR PRIMARY KEY,
    recipe_path   VARCHAR,
    recipe_digest VARCHAR,
    config        JSON,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS loop_steps (
    loop         VARCHAR NOT NULL,
    iteration    INTEGER NOT NULL,        -- 0: the base model's evaluation
    step         VARCHAR NOT NULL,        -- sft-data | sft-train | grpo-data | grpo-train | eval-base | eval-sft | eval-grpo
    status       VARCHAR NOT NULL,        -- running | done
    step_key     VARCHAR,
    artifact_id  VARCHAR,
    artifact_ref VARCHAR,                 -- NAME@vN of a snapshot, the model folder, the eval name
    started_at   TIMESTAMP,
    finished_at  TIMESTAMP,
    seconds      DOUBLE,
    detail       JSON,
    PRIMARY KEY (loop, iteration, step)
);

-- One row per start, finish and skip of a step: how often a trainer really ran, across crashes and resumes.
CREATE TABLE IF NOT EXISTS loop_events (
    loop      VARCHAR NOT NULL,
    iteration INTEGER NOT NULL,
    step      VARCHAR NOT NULL,
    event     VARCHAR NOT NULL,           -- started | finished | skipped
    step_key  VARCHAR,
    event_at  TIMESTAMP NOT NULL,
    detail    JSON
);
