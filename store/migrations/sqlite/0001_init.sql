-- Initial schema. Times are DATETIME text in UTC ("2006-01-02 15:04:05.999999999+00:00",
-- the driver's format, which SQLite date functions read); JSON columns are TEXT.

-- +goose Up
CREATE TABLE units (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    level          TEXT NOT NULL CHECK (level IN ('province', 'district', 'commune', 'team')),
    name           TEXT NOT NULL,
    parent_id      INTEGER REFERENCES units (id),
    code           TEXT NOT NULL,
    merged_into_id INTEGER REFERENCES units (id),
    merged_at      DATETIME,
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL
);
-- A code is unique among live units only: a merged unit keeps its code so old
-- links still resolve, and a new unit may reuse it.
CREATE UNIQUE INDEX units_code_live ON units (code) WHERE merged_into_id IS NULL;
CREATE INDEX units_parent ON units (parent_id);
CREATE INDEX units_merged_into ON units (merged_into_id) WHERE merged_into_id IS NOT NULL;

CREATE TABLE unit_history (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id        INTEGER NOT NULL REFERENCES units (id),
    change         TEXT NOT NULL CHECK (change IN ('rename', 'move', 'merge')),
    old_name       TEXT NOT NULL DEFAULT '',
    old_parent_id  INTEGER REFERENCES units (id),
    new_name       TEXT NOT NULL DEFAULT '',
    new_parent_id  INTEGER REFERENCES units (id),
    merged_into_id INTEGER REFERENCES units (id),
    at             DATETIME NOT NULL
);
CREATE INDEX unit_history_unit ON unit_history (unit_id, at);

CREATE TABLE people (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    phone      TEXT NOT NULL DEFAULT '',
    role       TEXT NOT NULL,
    unit_id    INTEGER NOT NULL REFERENCES units (id),
    locale     TEXT NOT NULL DEFAULT '',
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
-- People who joined by invite may have no phone yet.
CREATE UNIQUE INDEX people_phone ON people (phone) WHERE phone <> '';
CREATE INDEX people_unit_role ON people (unit_id, role);

CREATE TABLE identities (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id          INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    channel            TEXT NOT NULL,
    external_id        TEXT NOT NULL,
    chat_id            TEXT NOT NULL DEFAULT '',
    locale             TEXT NOT NULL DEFAULT '',
    linked_at          DATETIME NOT NULL,
    last_seen_at       DATETIME NOT NULL,
    unreachable_at     DATETIME,
    unreachable_reason TEXT NOT NULL DEFAULT '',
    UNIQUE (channel, external_id),
    UNIQUE (person_id, channel)
);

CREATE TABLE submissions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'received', 'verified', 'rejected')),
    answers         TEXT NOT NULL DEFAULT '{}',
    attachments     TEXT NOT NULL DEFAULT '[]',
    lat             REAL,
    lon             REAL,
    occurred_at     DATETIME NOT NULL,
    reporter_id     INTEGER NOT NULL REFERENCES people (id),
    team_id         INTEGER NOT NULL REFERENCES units (id),
    commune_id      INTEGER NOT NULL REFERENCES units (id),
    phase_id        TEXT NOT NULL DEFAULT '',
    urgent          BOOLEAN NOT NULL DEFAULT FALSE,
    idempotency_key TEXT NOT NULL UNIQUE,
    verified_by_id  INTEGER REFERENCES people (id),
    verified_at     DATETIME,
    reject_reason   TEXT NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL
);
-- Counting per commune / team / month / kind / status, and "my reports".
CREATE INDEX submissions_commune_count ON submissions (commune_id, kind, status, occurred_at);
CREATE INDEX submissions_team_count ON submissions (team_id, kind, status, occurred_at);
CREATE INDEX submissions_reporter ON submissions (reporter_id, created_at);
CREATE INDEX submissions_phase ON submissions (phase_id, kind, status);

CREATE TABLE tip_sources (
    submission_id INTEGER PRIMARY KEY REFERENCES submissions (id) ON DELETE CASCADE,
    source        TEXT NOT NULL,
    created_at    DATETIME NOT NULL
);

CREATE TABLE invites (
    code          TEXT PRIMARY KEY,
    unit_id       INTEGER NOT NULL REFERENCES units (id),
    role          TEXT NOT NULL,
    created_by_id INTEGER REFERENCES people (id),
    expires_at    DATETIME NOT NULL,
    used_at       DATETIME,
    used_by_id    INTEGER REFERENCES people (id),
    created_at    DATETIME NOT NULL
);

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           DATETIME NOT NULL,
    actor_id     INTEGER,
    action       TEXT NOT NULL,
    subject_type TEXT NOT NULL DEFAULT '',
    subject_id   TEXT NOT NULL DEFAULT '',
    detail       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_subject ON audit_log (subject_type, subject_id, at);

CREATE TABLE kv (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL DEFAULT '',
    updated_at DATETIME NOT NULL
);

CREATE TABLE inbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    channel      TEXT NOT NULL,
    update_id    TEXT NOT NULL,
    chat_id      TEXT NOT NULL DEFAULT '',
    payload      BLOB NOT NULL,
    received_at  DATETIME NOT NULL,
    claimed_at   DATETIME,
    claimed_by   TEXT NOT NULL DEFAULT '',
    processed_at DATETIME,
    attempts     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (channel, update_id)
);
CREATE INDEX inbox_pending ON inbox (received_at) WHERE processed_at IS NULL;
CREATE INDEX inbox_processed ON inbox (processed_at) WHERE processed_at IS NOT NULL;

-- +goose Down
DROP TABLE inbox;
DROP TABLE kv;
DROP TABLE audit_log;
DROP TABLE invites;
DROP TABLE tip_sources;
DROP TABLE submissions;
DROP TABLE identities;
DROP TABLE people;
DROP TABLE unit_history;
DROP TABLE units;
