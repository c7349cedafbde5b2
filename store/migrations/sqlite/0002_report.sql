-- Campaign reporting: police-entered figures, incidents with the members
-- present, and the recognition of community models (content 2). Times are
-- DATETIME text in UTC like 0001.

-- +goose Up
CREATE TABLE police_figures (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The commune, or the team for per-team figures (commendations).
    unit_id       INTEGER NOT NULL REFERENCES units (id),
    figure        TEXT NOT NULL,
    -- [period_start, period_end): local-day bounds of the period the figure covers.
    period_start  DATETIME NOT NULL,
    period_end    DATETIME NOT NULL,
    value         REAL NOT NULL CHECK (value >= 0),
    entered_by_id INTEGER REFERENCES people (id),
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL,
    CHECK (period_end > period_start),
    UNIQUE (unit_id, figure, period_start, period_end)
);
CREATE INDEX police_figures_figure ON police_figures (figure, period_start);

CREATE TABLE incidents (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    commune_id   INTEGER NOT NULL REFERENCES units (id),
    kind         TEXT NOT NULL CHECK (kind IN ('antt', 'fire', 'rescue', 'traffic')),
    occurred_at  DATETIME NOT NULL,
    place        TEXT NOT NULL DEFAULT '',
    description  TEXT NOT NULL DEFAULT '',
    serious      BOOLEAN NOT NULL DEFAULT FALSE,
    logged_by_id INTEGER REFERENCES people (id),
    created_at   DATETIME NOT NULL
);
CREATE INDEX incidents_commune ON incidents (commune_id, kind, occurred_at);

CREATE TABLE incident_presence (
    incident_id     INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    person_id       INTEGER NOT NULL REFERENCES people (id),
    arrived_at      DATETIME,
    source          TEXT NOT NULL CHECK (source IN ('member', 'police')),
    -- The member's "presence" or "fire_rescue" report the police linked, if any.
    submission_id   INTEGER REFERENCES submissions (id),
    confirmed_by_id INTEGER REFERENCES people (id),
    created_at      DATETIME NOT NULL,
    PRIMARY KEY (incident_id, person_id)
);
-- "Is there a confirmed presence for this incident" probes.
CREATE INDEX incident_presence_confirmed ON incident_presence (incident_id) WHERE confirmed_by_id IS NOT NULL;

-- A model (kind "model") the police marked as recognised by Ban Chỉ đạo 138
-- or police at district level or above. recognised_key is the slug of the
-- model's name, so the same model reported by two members counts once.
ALTER TABLE submissions ADD COLUMN recognised_at DATETIME;
-- No REFERENCES here: SQLite cannot DROP a column that is in a foreign key,
-- and the Down migration must work.
ALTER TABLE submissions ADD COLUMN recognised_by_id INTEGER;
ALTER TABLE submissions ADD COLUMN recognised_key TEXT;
CREATE INDEX submissions_recognised ON submissions (commune_id, occurred_at) WHERE recognised_at IS NOT NULL;

-- Per-member aggregates: members with a verified patrol, member rankings.
CREATE INDEX submissions_reporter_count ON submissions (reporter_id, kind, status, occurred_at);
-- Whole-province counts by kind and period (reports per team and kind, good
-- deeds per team and month): every column they read is in the index, so
-- PostgreSQL answers them from the index alone.
CREATE INDEX submissions_kind_period ON submissions (kind, status, occurred_at, team_id, commune_id);

-- +goose Down
DROP INDEX submissions_kind_period;
DROP INDEX submissions_reporter_count;
DROP INDEX submissions_recognised;
ALTER TABLE submissions DROP COLUMN recognised_key;
ALTER TABLE submissions DROP COLUMN recognised_by_id;
ALTER TABLE submissions DROP COLUMN recognised_at;
DROP TABLE incident_presence;
DROP TABLE incidents;
DROP TABLE police_figures;
