-- The read cache's notifications name the schema of the changed row, so a
-- process drops keys only for changes to its own tables: deployments (and
-- test runs) that share one database in different schemas no longer empty
-- each other's caches. Payload: 'n:' or 't:', the schema, ':', the key
-- (phone numbers and token hashes contain no ':').
CREATE OR REPLACE FUNCTION switchboard_number_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('switchboard_cache', 'n:' || TG_TABLE_SCHEMA || ':' || OLD.phone_number);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION switchboard_token_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('switchboard_cache', 't:' || TG_TABLE_SCHEMA || ':' || OLD.token_hash);
    RETURN NULL;
END
$$;
