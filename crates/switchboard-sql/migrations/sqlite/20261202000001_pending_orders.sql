-- A purchase the carrier takes as an order (Telnyx) is recorded 'pending'
-- until the order settles: live, so it holds the number in the live-number
-- index like every other live state, and naming the carrier's order and,
-- while the carrier waits for regulatory information, what it asks for
-- (a JSON array of strings; NULL when nothing is missing).
--
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt
-- with the new state, the new columns and the same indexes, and every row
-- is copied as it was.
CREATE TABLE numbers_with_orders (
    id                  BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    account             TEXT NOT NULL,
    phone_number        TEXT NOT NULL,
    friendly_name       TEXT NOT NULL,
    agent_id            BLOB CHECK (agent_id IS NULL OR length(agent_id) = 16),
    cap_voice           INTEGER NOT NULL CHECK (cap_voice IN (0, 1)),
    cap_sms             INTEGER NOT NULL CHECK (cap_sms IN (0, 1)),
    cap_mms             INTEGER NOT NULL CHECK (cap_mms IN (0, 1)),
    cap_fax             INTEGER NOT NULL CHECK (cap_fax IN (0, 1)),
    provider            TEXT NOT NULL,
    carrier_id          TEXT,
    voice_url           TEXT,
    voice_method        TEXT CHECK (voice_method IN ('GET', 'POST')),
    sms_url             TEXT,
    sms_method          TEXT CHECK (sms_method IN ('GET', 'POST')),
    status_callback     TEXT,
    state               TEXT NOT NULL
                        CHECK (state IN ('reserved', 'pending', 'active', 'releasing',
                                         'released', 'failed')),
    idempotency_key     TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    released_at         TEXT,
    release_not_before  TEXT,
    version             INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    lease_until         TEXT,
    purchased_at        TEXT,
    request_fingerprint TEXT,
    order_id            TEXT,
    order_missing       TEXT
) WITHOUT ROWID;

INSERT INTO numbers_with_orders (id, account, phone_number, friendly_name, agent_id,
    cap_voice, cap_sms, cap_mms, cap_fax, provider, carrier_id, voice_url, voice_method,
    sms_url, sms_method, status_callback, state, idempotency_key, created_at, updated_at,
    released_at, release_not_before, version, lease_until, purchased_at, request_fingerprint)
SELECT id, account, phone_number, friendly_name, agent_id,
    cap_voice, cap_sms, cap_mms, cap_fax, provider, carrier_id, voice_url, voice_method,
    sms_url, sms_method, status_callback, state, idempotency_key, created_at, updated_at,
    released_at, release_not_before, version, lease_until, purchased_at, request_fingerprint
FROM numbers;

DROP TABLE numbers;
ALTER TABLE numbers_with_orders RENAME TO numbers;

-- The indexes of the first migration; the live-number one with the new
-- state. Queries must repeat its exact WHERE clause for SQLite to use it.
CREATE UNIQUE INDEX numbers_live_phone_number
    ON numbers (phone_number)
    WHERE state IN ('reserved', 'pending', 'active', 'releasing');
CREATE UNIQUE INDEX numbers_account_idempotency_key
    ON numbers (account, idempotency_key);
CREATE INDEX numbers_account_id ON numbers (account, id);
CREATE INDEX numbers_agent_id ON numbers (agent_id, id) WHERE agent_id IS NOT NULL;
