-- Tell every process's read cache (crate::watch) which cached rows changed.
--
-- Only updates and deletes: the cache keeps found rows only, and a new row
-- cannot make a found one wrong (a second live record for a phone number
-- needs the first one updated out of the live states, which notifies).
-- NOTIFY is sent at commit, in commit order, and never for a rolled-back
-- transaction; the payload names the key the cache uses.
CREATE FUNCTION switchboard_number_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('switchboard_cache', 'n:' || OLD.phone_number);
    RETURN NULL;
END
$$;

CREATE TRIGGER numbers_notify_read_cache
    AFTER UPDATE OR DELETE ON numbers
    FOR EACH ROW EXECUTE FUNCTION switchboard_number_changed();

CREATE FUNCTION switchboard_token_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('switchboard_cache', 't:' || OLD.token_hash);
    RETURN NULL;
END
$$;

CREATE TRIGGER api_tokens_notify_read_cache
    AFTER UPDATE OR DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION switchboard_token_changed();
