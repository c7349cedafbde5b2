-- A generation number of who is who: it grows with every change to people,
-- and to identities except their last-seen time. The store caches the person
-- behind a chat and checks the generation (one tiny read) before it serves the
-- copy, so a change made by `anttbot import` or any other writer invalidates
-- the cache and a removed member is never served stale. SQLite has one writer
-- at a time and readers see committed data only, so a row trigger suffices.

-- +goose Up
CREATE TABLE people_gen (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    gen INTEGER NOT NULL
);
INSERT INTO people_gen (id, gen) VALUES (1, 1);

-- +goose StatementBegin
CREATE TRIGGER people_gen_people_insert AFTER INSERT ON people
BEGIN UPDATE people_gen SET gen = gen + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER people_gen_people_update AFTER UPDATE ON people
BEGIN UPDATE people_gen SET gen = gen + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER people_gen_people_delete AFTER DELETE ON people
BEGIN UPDATE people_gen SET gen = gen + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER people_gen_identities_insert AFTER INSERT ON identities
BEGIN UPDATE people_gen SET gen = gen + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER people_gen_identities_delete AFTER DELETE ON identities
BEGIN UPDATE people_gen SET gen = gen + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER people_gen_identities_update AFTER UPDATE ON identities
WHEN OLD.person_id IS NOT NEW.person_id OR OLD.channel IS NOT NEW.channel
  OR OLD.external_id IS NOT NEW.external_id OR OLD.chat_id IS NOT NEW.chat_id
  OR OLD.locale IS NOT NEW.locale OR OLD.linked_at IS NOT NEW.linked_at
  OR OLD.unreachable_at IS NOT NEW.unreachable_at OR OLD.unreachable_reason IS NOT NEW.unreachable_reason
BEGIN UPDATE people_gen SET gen = gen + 1 WHERE id = 1; END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER people_gen_identities_update;
DROP TRIGGER people_gen_identities_delete;
DROP TRIGGER people_gen_identities_insert;
DROP TRIGGER people_gen_people_delete;
DROP TRIGGER people_gen_people_update;
DROP TRIGGER people_gen_people_insert;
DROP TABLE people_gen;
