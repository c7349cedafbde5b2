-- A generation number of who is who: it grows with every committed change to
-- people, and to identities except their last-seen time. The store caches the
-- person behind a chat and checks the generation (one tiny read) before it
-- serves the copy, so a change made by any replica or by `anttbot import`
-- invalidates every cache at once and a removed member is never served stale.
-- The bump runs at commit (a deferred trigger), so a transaction takes this
-- row's lock last and cannot deadlock on it; a reader sees the new number
-- only with the change it counts.

-- +goose Up
CREATE TABLE people_gen (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    gen BIGINT NOT NULL,
    -- The transaction that bumped it last: one bump per transaction.
    tx  BIGINT
);
INSERT INTO people_gen (id, gen) VALUES (1, 1);

-- +goose StatementBegin
CREATE FUNCTION people_gen_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE people_gen SET gen = gen + 1, tx = txid_current()
    WHERE id = 1 AND tx IS DISTINCT FROM txid_current();
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE CONSTRAINT TRIGGER people_gen_people AFTER INSERT OR UPDATE OR DELETE ON people
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION people_gen_bump();
CREATE CONSTRAINT TRIGGER people_gen_identities AFTER INSERT OR DELETE ON identities
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION people_gen_bump();
CREATE CONSTRAINT TRIGGER people_gen_identities_update AFTER UPDATE ON identities
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.person_id IS DISTINCT FROM NEW.person_id OR OLD.channel IS DISTINCT FROM NEW.channel
       OR OLD.external_id IS DISTINCT FROM NEW.external_id OR OLD.chat_id IS DISTINCT FROM NEW.chat_id
       OR OLD.locale IS DISTINCT FROM NEW.locale OR OLD.linked_at IS DISTINCT FROM NEW.linked_at
       OR OLD.unreachable_at IS DISTINCT FROM NEW.unreachable_at
       OR OLD.unreachable_reason IS DISTINCT FROM NEW.unreachable_reason)
    EXECUTE FUNCTION people_gen_bump();

-- +goose Down
DROP TRIGGER people_gen_identities_update ON identities;
DROP TRIGGER people_gen_identities ON identities;
DROP TRIGGER people_gen_people ON people;
DROP FUNCTION people_gen_bump();
DROP TABLE people_gen;
