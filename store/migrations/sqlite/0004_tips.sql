-- Tips pushed to the police: the messages sent (so they can be edited when
-- an officer acts), the escalations to higher levels, and the follow-up
-- questions police ask the reporter.

-- +goose Up
CREATE TABLE tip_messages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    person_id     INTEGER NOT NULL REFERENCES people (id),
    -- The police level the officer was reached at: commune, district or province.
    level         TEXT NOT NULL CHECK (level IN ('province', 'district', 'commune')),
    channel       TEXT NOT NULL,
    chat_id       TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    sent_at       DATETIME NOT NULL,
    UNIQUE (submission_id, person_id, channel, chat_id, message_id)
);
CREATE INDEX tip_messages_submission ON tip_messages (submission_id);

CREATE TABLE tip_escalations (
    submission_id INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    -- The level the tip was pushed up to.
    level         TEXT NOT NULL CHECK (level IN ('province', 'district')),
    -- Why: nobody acted in time, or nobody could be reached below.
    reason        TEXT NOT NULL CHECK (reason IN ('timeout', 'no_officer')),
    officers      INTEGER NOT NULL DEFAULT 0,
    at            DATETIME NOT NULL,
    PRIMARY KEY (submission_id, level)
);

CREATE TABLE tip_questions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    asker_id      INTEGER NOT NULL REFERENCES people (id),
    question      TEXT NOT NULL,
    asked_at      DATETIME NOT NULL,
    answer        TEXT NOT NULL DEFAULT '',
    answered_at   DATETIME
);
CREATE INDEX tip_questions_submission ON tip_questions (submission_id, asked_at);
CREATE INDEX tip_questions_open ON tip_questions (submission_id) WHERE answered_at IS NULL;

-- +goose Down
DROP TABLE tip_questions;
DROP TABLE tip_escalations;
DROP TABLE tip_messages;
