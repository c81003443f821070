-- The fake carrier's books (switchboard_fake::SalesLedger), kept in the store
-- so that every process sharing it sells from one carrier: a number sold
-- through one process is unavailable through the others, and carrier ids
-- (`FK` and the ten-digit serial) are unique across them.
--
-- AUTOINCREMENT: a serial is never reused, even after the last row is
-- deleted, so a stale carrier id can never name a number sold later.
CREATE TABLE fake_carrier_numbers (
    serial          INTEGER PRIMARY KEY AUTOINCREMENT,
    carrier         TEXT NOT NULL,
    phone_number    TEXT NOT NULL,
    -- 'account': bought by the account the fake serves; 'another': held by
    -- another customer (the fake's `take`), not for sale and not listed.
    held_by         TEXT NOT NULL CHECK (held_by IN ('account', 'another')),
    friendly_name   TEXT,
    cap_voice       INTEGER NOT NULL CHECK (cap_voice IN (0, 1)),
    cap_sms         INTEGER NOT NULL CHECK (cap_sms IN (0, 1)),
    cap_mms         INTEGER NOT NULL CHECK (cap_mms IN (0, 1)),
    cap_fax         INTEGER NOT NULL CHECK (cap_fax IN (0, 1)),
    voice_url       TEXT,
    voice_method    TEXT CHECK (voice_method IN ('GET', 'POST')),
    sms_url         TEXT,
    sms_method      TEXT CHECK (sms_method IN ('GET', 'POST')),
    status_callback TEXT,
    purchased_at    TEXT NOT NULL
);

-- One holder per number and carrier: the claim of a purchase.
CREATE UNIQUE INDEX fake_carrier_numbers_phone_number
    ON fake_carrier_numbers (carrier, phone_number);

-- Listing the account's numbers in carrier id order. Queries repeat the
-- WHERE clause for SQLite to use it.
CREATE INDEX fake_carrier_numbers_owned
    ON fake_carrier_numbers (carrier, serial) WHERE held_by = 'account';

-- Carry over what earlier versions' in-memory fakes sold, as the records
-- say (live records of provider 'fake' with a carrier id), so that an
-- existing file keeps agreeing with its fake.
--
-- Those fakes each counted from FK0000000001, so two processes on one file
-- could give one carrier id to two numbers. The earliest record keeps its
-- id; the others get new ones below and their records are pointed at them.
INSERT INTO fake_carrier_numbers (serial, carrier, phone_number, held_by, friendly_name,
    cap_voice, cap_sms, cap_mms, cap_fax, voice_url, voice_method, sms_url, sms_method,
    status_callback, purchased_at)
SELECT CAST(substr(n.carrier_id, 3) AS INTEGER), 'fake', n.phone_number, 'account',
    n.friendly_name, n.cap_voice, n.cap_sms, n.cap_mms, n.cap_fax, n.voice_url,
    n.voice_method, n.sms_url, n.sms_method, n.status_callback, n.created_at
FROM numbers n
WHERE n.provider = 'fake'
  AND n.state IN ('active', 'releasing')
  AND length(n.carrier_id) = 12
  AND n.carrier_id GLOB 'FK[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'
  AND CAST(substr(n.carrier_id, 3) AS INTEGER) > 0
  AND NOT EXISTS (
      SELECT 1 FROM numbers e
      WHERE e.provider = 'fake'
        AND e.state IN ('active', 'releasing')
        AND e.carrier_id = n.carrier_id
        AND (e.created_at < n.created_at OR (e.created_at = n.created_at AND e.id < n.id)));

-- The rest (an id an earlier record kept, or not an id of the fake's form)
-- get serials after every carried-over one: AUTOINCREMENT continues above
-- the largest serial inserted so far.
INSERT INTO fake_carrier_numbers (carrier, phone_number, held_by, friendly_name,
    cap_voice, cap_sms, cap_mms, cap_fax, voice_url, voice_method, sms_url, sms_method,
    status_callback, purchased_at)
SELECT 'fake', n.phone_number, 'account', n.friendly_name, n.cap_voice, n.cap_sms,
    n.cap_mms, n.cap_fax, n.voice_url, n.voice_method, n.sms_url, n.sms_method,
    n.status_callback, n.created_at
FROM numbers n
WHERE n.provider = 'fake'
  AND n.state IN ('active', 'releasing')
  AND n.carrier_id IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM fake_carrier_numbers f
      WHERE f.carrier = 'fake' AND f.phone_number = n.phone_number)
ORDER BY n.created_at, n.id;

UPDATE numbers
SET carrier_id = (
    SELECT 'FK' || printf('%010d', f.serial) FROM fake_carrier_numbers f
    WHERE f.carrier = 'fake' AND f.phone_number = numbers.phone_number)
WHERE provider = 'fake'
  AND state IN ('active', 'releasing')
  AND carrier_id IS NOT NULL
  AND carrier_id <> (
      SELECT 'FK' || printf('%010d', f.serial) FROM fake_carrier_numbers f
      WHERE f.carrier = 'fake' AND f.phone_number = numbers.phone_number);
