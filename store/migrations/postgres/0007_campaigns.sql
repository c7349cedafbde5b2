-- Campaign files loaded at run time (anttbot campaign load): every version is
-- kept, and the newest is the one in use; replicas poll it.

-- +goose Up
CREATE TABLE campaign_versions (
    version     BIGSERIAL PRIMARY KEY,
    campaign_id TEXT NOT NULL,
    -- The TOML file as loaded, validated as at start-up.
    source      TEXT NOT NULL,
    loaded_at   TIMESTAMPTZ NOT NULL,
    -- Who loaded it: a person id for the console, or a name for the CLI.
    loaded_by_id BIGINT,
    loaded_by   TEXT NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE campaign_versions;
