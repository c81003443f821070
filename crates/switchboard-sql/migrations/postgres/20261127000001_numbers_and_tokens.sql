-- Numbers this system owns, and API tokens (hashes only).
--
-- ids are native uuids: PostgreSQL orders them bytewise, which is the order
-- of uuid::Uuid, so "ORDER BY id" pages exactly as the trait says.
-- Timestamps are timestamptz (microsecond precision).
CREATE TABLE numbers (
    id                 uuid PRIMARY KEY,
    account            text NOT NULL,
    phone_number       text NOT NULL,
    friendly_name      text NOT NULL,
    agent_id           uuid,
    cap_voice          boolean NOT NULL,
    cap_sms            boolean NOT NULL,
    cap_mms            boolean NOT NULL,
    cap_fax            boolean NOT NULL,
    provider           text NOT NULL,
    carrier_id         text,
    voice_url          text,
    voice_method       text CHECK (voice_method IN ('GET', 'POST')),
    sms_url            text,
    sms_method         text CHECK (sms_method IN ('GET', 'POST')),
    status_callback    text,
    state              text NOT NULL
                       CHECK (state IN ('reserved', 'active', 'releasing', 'released', 'failed')),
    idempotency_key    text,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    released_at        timestamptz,
    release_not_before timestamptz
);

-- At most one live record per phone number, across every process sharing
-- the database; also the index of the hot-path lookup, which repeats this
-- WHERE clause so the planner can use it.
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
    id          uuid PRIMARY KEY,
    account     text NOT NULL,
    label       text,
    token_hash  text NOT NULL,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);

CREATE UNIQUE INDEX api_tokens_token_hash ON api_tokens (token_hash);
CREATE INDEX api_tokens_account ON api_tokens (account, created_at, id);
