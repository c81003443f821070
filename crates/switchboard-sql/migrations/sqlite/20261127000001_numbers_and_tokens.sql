-- Numbers this system owns, and API tokens (hashes only).
--
-- ids are 16-byte blobs: SQLite compares blobs with memcmp, which is the
-- order of uuid::Uuid, so "ORDER BY id" pages exactly as the trait says. With
-- time-ordered v7 ids the clustered key below stays append-only.
CREATE TABLE numbers (
    id                 BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    account            TEXT NOT NULL,
    phone_number       TEXT NOT NULL,
    friendly_name      TEXT NOT NULL,
    agent_id           BLOB CHECK (agent_id IS NULL OR length(agent_id) = 16),
    cap_voice          INTEGER NOT NULL CHECK (cap_voice IN (0, 1)),
    cap_sms            INTEGER NOT NULL CHECK (cap_sms IN (0, 1)),
    cap_mms            INTEGER NOT NULL CHECK (cap_mms IN (0, 1)),
    cap_fax            INTEGER NOT NULL CHECK (cap_fax IN (0, 1)),
    provider           TEXT NOT NULL,
    carrier_id         TEXT,
    voice_url          TEXT,
    voice_method       TEXT CHECK (voice_method IN ('GET', 'POST')),
    sms_url            TEXT,
    sms_method         TEXT CHECK (sms_method IN ('GET', 'POST')),
    status_callback    TEXT,
    state              TEXT NOT NULL
                       CHECK (state IN ('reserved', 'active', 'releasing', 'released', 'failed')),
    idempotency_key    TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    released_at        TEXT,
    release_not_before TEXT
) WITHOUT ROWID;

-- At most one live record per phone number, across every process sharing
-- the file; also the index of the hot-path lookup. Queries must repeat this
-- exact WHERE clause for SQLite to use it.
CREATE UNIQUE INDEX numbers_live_phone_number
    ON numbers (phone_number)
    WHERE state IN ('reserved', 'active', 'releasing');

-- Idempotency keys are unique per account (NULLs never clash).
CREATE UNIQUE INDEX numbers_account_idempotency_key
    ON numbers (account, idempotency_key);

-- Listing an account's or an agent's numbers in id order.
CREATE INDEX numbers_account_id ON numbers (account, id);
CREATE INDEX numbers_agent_id ON numbers (agent_id, id) WHERE agent_id IS NOT NULL;

CREATE TABLE api_tokens (
    id          BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    account     TEXT NOT NULL,
    label       TEXT,
    token_hash  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
) WITHOUT ROWID;

CREATE UNIQUE INDEX api_tokens_token_hash ON api_tokens (token_hash);
CREATE INDEX api_tokens_account ON api_tokens (account, created_at, id);
