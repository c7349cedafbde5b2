-- Run ledger of the scheduler: one row per job and period it ran for, so
-- that several replicas, restarts and catch-up runs send each scheduled
-- message once per period. A row is written in the same transaction as the
-- deliveries it queued, so it exists exactly when they do.

-- +goose Up
CREATE TABLE job_runs (
    id          BIGSERIAL PRIMARY KEY,
    job         TEXT NOT NULL,
    -- The period's key: "2025-03" for monthly jobs, "2025-03-25T17:30" for
    -- the digest, a phase id for phase jobs.
    period      TEXT NOT NULL,
    -- When the run was due by the job's schedule (the time of a manual run).
    due_at      TIMESTAMPTZ NOT NULL,
    -- [period_from, period_to): the time the run covered.
    period_from TIMESTAMPTZ NOT NULL,
    period_to   TIMESTAMPTZ NOT NULL,
    -- How many messages were queued.
    sent        INTEGER NOT NULL DEFAULT 0,
    note        TEXT NOT NULL DEFAULT '',
    -- The replica (host:pid) that ran it.
    owner       TEXT NOT NULL DEFAULT '',
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    UNIQUE (job, period)
);
CREATE INDEX job_runs_due ON job_runs (job, due_at);

-- The police digest counts reports by the time they were made, and lists
-- the open ones that waited too long.
CREATE INDEX submissions_created_at ON submissions (created_at);
CREATE INDEX submissions_open_created ON submissions (kind, created_at) WHERE status IN ('pending', 'received');

-- +goose Down
DROP INDEX submissions_open_created;
DROP INDEX submissions_created_at;
DROP TABLE job_runs;
