-- A purchase the carrier takes as an order (Telnyx) is recorded 'pending'
-- until the order settles: live, so it holds the number in the live-number
-- index like every other live state, and naming the carrier's order and,
-- while the carrier waits for regulatory information, what it asks for
-- (a JSON array of strings; NULL when nothing is missing).
ALTER TABLE numbers DROP CONSTRAINT numbers_state_check;
ALTER TABLE numbers ADD CONSTRAINT numbers_state_check
    CHECK (state IN ('reserved', 'pending', 'active', 'releasing', 'released', 'failed'));

ALTER TABLE numbers ADD COLUMN order_id text;
ALTER TABLE numbers ADD COLUMN order_missing text;

-- The hot-path lookup repeats this WHERE clause so the planner can use it.
DROP INDEX numbers_live_phone_number;
CREATE UNIQUE INDEX numbers_live_phone_number
    ON numbers (phone_number)
    WHERE state IN ('reserved', 'pending', 'active', 'releasing');
