-- The web console: one-time sign-in links sent in the chat, and the
-- sessions they open. Only hashes of the link tokens and session ids are
-- kept, so a copy of the database opens no session.

-- +goose Up
CREATE TABLE web_login_tokens (
    token_hash TEXT PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    used_at    DATETIME
);
CREATE INDEX web_login_tokens_expires ON web_login_tokens (expires_at);

CREATE TABLE web_sessions (
    id_hash      TEXT PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    -- The person's role and unit when the session opened: a change of
    -- either ends the session.
    role         TEXT NOT NULL,
    unit_id      INTEGER NOT NULL,
    csrf_token   TEXT NOT NULL,
    created_at   DATETIME NOT NULL,
    last_seen_at DATETIME NOT NULL,
    expires_at   DATETIME NOT NULL
);
CREATE INDEX web_sessions_person ON web_sessions (person_id);

-- +goose Down
DROP TABLE web_sessions;
DROP TABLE web_login_tokens;
