-- Every write of a number record names the version it read and bumps it
-- (compare-and-swap), so no write undoes another. Reservations carry the
-- lease their request renews; active numbers remember when the carrier
-- confirmed the purchase; a keyed request keeps its fingerprint so that a
-- reuse of the key with another body is refused.
ALTER TABLE numbers ADD COLUMN version bigint NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE numbers ADD COLUMN lease_until timestamptz;
ALTER TABLE numbers ADD COLUMN purchased_at timestamptz;
ALTER TABLE numbers ADD COLUMN request_fingerprint text;

-- Numbers bought before this column existed: the reservation time is the
-- closest record of when the purchase happened.
UPDATE numbers SET purchased_at = created_at WHERE state IN ('active', 'releasing');
