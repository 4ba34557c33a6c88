/**
 * Schema changes, applied in order; `PRAGMA user_version` records how many have run. Append only:
 * a released migration is never edited.
 */
export const migrations: string[] = [
  `
  CREATE TABLE calls (
    call_sid      TEXT PRIMARY KEY,
    from_number   TEXT NOT NULL,
    to_number     TEXT NOT NULL,
    started_at    INTEGER NOT NULL,
    recording_url TEXT,
    heard         TEXT NOT NULL DEFAULT '[]', -- JSON array: what was heard without a full code
    fallback_at   INTEGER                     -- when the call was sent to the transcribed recording
  );
  CREATE TABLE codes (
    id          INTEGER PRIMARY KEY,
    call_sid    TEXT NOT NULL REFERENCES calls(call_sid),
    code        TEXT NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('dtmf', 'speech', 'transcription')),
    received_at INTEGER NOT NULL,
    UNIQUE (call_sid, code)
  );
  CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('code', 'missed-call')),
    call_sid        TEXT NOT NULL REFERENCES calls(call_sid),
    code_id         INTEGER REFERENCES codes(id),
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient       TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    sent_at         INTEGER,
    created_at      INTEGER NOT NULL,
    UNIQUE (kind, call_sid, code_id, channel, recipient)
  );
  CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
  `,
  `
  CREATE TABLE webhook_inbox (
    id            INTEGER PRIMARY KEY,
    received_at   INTEGER NOT NULL,
    body          BLOB NOT NULL,            -- the bytes Meta signed, exactly as they arrived
    content_type  TEXT,
    signature     TEXT,                     -- X-Hub-Signature-256 as sent, to check the bytes again
    signed_with   TEXT NOT NULL CHECK (signed_with IN ('current', 'previous', 'unchecked')),
    state         TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'dispatched', 'invalid')),
    problem       TEXT,                     -- why an invalid POST could not be read
    events        INTEGER,                  -- new events it held
    duplicates    INTEGER,                  -- events it held that were already known
    dispatched_at INTEGER
  );
  CREATE INDEX webhook_inbox_pending ON webhook_inbox (id) WHERE state = 'pending';
  CREATE INDEX webhook_inbox_received ON webhook_inbox (received_at);
  CREATE TABLE webhook_events (
    id              INTEGER PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,   -- the dedupe key, kept for the retention period
    inbox_id        INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    type            TEXT NOT NULL,
    phone_number_id TEXT,
    failed          INTEGER NOT NULL DEFAULT 0, -- carries errors (failed status, value error, ...)
    received_at     INTEGER NOT NULL,
    event           TEXT NOT NULL           -- the normalised event, the body every sink receives
  );
  CREATE INDEX webhook_events_received ON webhook_events (received_at);
  CREATE INDEX webhook_events_failed ON webhook_events (id) WHERE failed = 1;
  CREATE TABLE webhook_forwards (
    id              INTEGER PRIMARY KEY,
    event_id        INTEGER NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
    target          TEXT NOT NULL,
    lane            TEXT NOT NULL,          -- the phone number id (or WABA id): order is kept per lane
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'rejected')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    sent_at         INTEGER,
    created_at      INTEGER NOT NULL
  );
  CREATE INDEX webhook_forwards_queue ON webhook_forwards (target, lane, id) WHERE status = 'pending';
  CREATE INDEX webhook_forwards_event ON webhook_forwards (event_id);
  CREATE TABLE message_statuses (
    message_id TEXT PRIMARY KEY,
    status     TEXT NOT NULL,
    timestamp  TEXT,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX message_statuses_updated ON message_statuses (updated_at);
  -- Running totals and single values (last verification): they outlive pruning.
  CREATE TABLE webhook_counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  );
  `,
  `
  -- The operator page's sign-ins. Only a keyed hash of the cookie is kept: a copy of the database opens no session.
  CREATE TABLE admin_sessions (
    token_hash TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX admin_sessions_expiry ON admin_sessions (expires_at);
  -- Each target's last error, read on every render of the operator page: without it, a scan of
  -- every forward ever made.
  CREATE INDEX webhook_forwards_errors ON webhook_forwards (target, id) WHERE last_error IS NOT NULL AND status != 'sent';
  `,
  `
  -- Claims (see src/store/claims.ts): who works a delivery or a forward, and until when. One
  -- process owns the file, so they only ever name it; the contract is the same as on PostgreSQL.
  ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
  ALTER TABLE deliveries ADD COLUMN claimed_until INTEGER;
  ALTER TABLE webhook_forwards ADD COLUMN claimed_by TEXT;
  ALTER TABLE webhook_forwards ADD COLUMN claimed_until INTEGER;
  -- One notice per call and recipient, by constraint: code_id is NULL for notices, and NULLs never
  -- collide in the UNIQUE of the first migration.
  CREATE UNIQUE INDEX deliveries_one_notice ON deliveries (call_sid, channel, recipient) WHERE kind = 'missed-call';
  -- The total of stored POSTs is now dispatched + invalid + pending (see whatsapp/overview.ts).
  DELETE FROM webhook_counters WHERE name = 'stored';
  `,
  `
  -- Rehearsals (wa-onboard doctor, simulate webhook, simulate call) are marked where they are
  -- stored, so Meta's counts, failures and verification never include them (issue 14).
  ALTER TABLE webhook_inbox ADD COLUMN rehearsal INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE webhook_events ADD COLUMN rehearsal INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE calls ADD COLUMN rehearsal INTEGER NOT NULL DEFAULT 0;
  -- Before, a rehearsal call was told by its caller alone: simulate call's default, +15555550100.
  UPDATE calls SET rehearsal = 1 WHERE from_number = '+15555550100';
  CREATE INDEX webhook_events_rehearsals ON webhook_events (id) WHERE rehearsal = 1;
  -- Rehearsals waiting for dispatch, to leave out of the count of Meta's (read from indexes only).
  CREATE INDEX webhook_inbox_pending_rehearsals ON webhook_inbox (id) WHERE state = 'pending' AND rehearsal = 1;
  `,
  `
  -- The phone line's forwarding budget and allow-list (issue 16). Each call's forwarding is decided
  -- by its first request: 'forwarded' (its code or "no code heard" notice goes to the team), or
  -- held back, stored and shown only: 'over-limit' (CALL_FORWARD_LIMIT calls were forwarded in the
  -- hour before it), 'caller-not-allowed' (its caller is outside CALLERS_ALLOWED). Calls before: forwarded.
  ALTER TABLE calls ADD COLUMN forwarding TEXT NOT NULL DEFAULT 'forwarded'
    CHECK (forwarding IN ('forwarded', 'over-limit', 'caller-not-allowed'));
  -- The budget counts the calls forwarded in the last hour: a seek, whatever the flood stored.
  CREATE INDEX calls_forwarded ON calls (started_at) WHERE forwarding = 'forwarded';
  -- A delivery of a new kind, 'paused': the notice that forwarding paused, at most one per hour.
  -- SQLite cannot change a CHECK in place, so the table is rebuilt, as sqlite.org/lang_altertable.html
  -- describes (nothing references deliveries).
  CREATE TABLE deliveries_next (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('code', 'missed-call', 'paused')),
    call_sid        TEXT NOT NULL REFERENCES calls(call_sid),
    code_id         INTEGER REFERENCES codes(id),
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient       TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    sent_at         INTEGER,
    created_at      INTEGER NOT NULL,
    claimed_by      TEXT,
    claimed_until   INTEGER,
    UNIQUE (kind, call_sid, code_id, channel, recipient)
  );
  INSERT INTO deliveries_next (id, kind, call_sid, code_id, channel, recipient, status, attempts, next_attempt_at, last_error, sent_at, created_at, claimed_by, claimed_until)
    SELECT id, kind, call_sid, code_id, channel, recipient, status, attempts, next_attempt_at, last_error, sent_at, created_at, claimed_by, claimed_until
    FROM deliveries;
  DROP TABLE deliveries;
  ALTER TABLE deliveries_next RENAME TO deliveries;
  CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
  CREATE UNIQUE INDEX deliveries_one_notice ON deliveries (call_sid, channel, recipient) WHERE kind = 'missed-call';
  CREATE UNIQUE INDEX deliveries_one_pause ON deliveries (call_sid, channel, recipient) WHERE kind = 'paused';
  -- Whether a pause notice went out in the last hour: a seek.
  CREATE INDEX deliveries_pauses ON deliveries (created_at) WHERE kind = 'paused';
  `,
  `
  -- Dead letters, replay and backfill (issue 15). A forward is given up as 'rejected' (its target
  -- refused it) or 'expired' (still failing FORWARD_GIVE_UP_HOURS after it was queued) and kept, as
  -- a dead letter, until its event is pruned. SQLite cannot change a CHECK in place, so the table is
  -- rebuilt, as sqlite.org/lang_altertable.html describes (nothing references webhook_forwards).
  CREATE TABLE webhook_forwards_next (
    id              INTEGER PRIMARY KEY,
    event_id        INTEGER NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
    target          TEXT NOT NULL,
    lane            TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'rejected', 'expired')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    sent_at         INTEGER,
    created_at      INTEGER NOT NULL,
    claimed_by      TEXT,
    claimed_until   INTEGER,
    last_status     INTEGER,                -- the target's HTTP status on the last attempt (NULL: none came)
    given_up_at     INTEGER,                -- when it was rejected or expired
    requeued_at     INTEGER,                -- when a replay or a backfill queued it again (NULL: queued at created_at)
    -- One forward per event and target, by constraint: a backfill or a replay never queues one twice.
    UNIQUE (event_id, target)
  );
  -- A rejection's time was not recorded before: the time its forward was queued stands in.
  INSERT INTO webhook_forwards_next (id, event_id, target, lane, status, attempts, next_attempt_at, last_error, sent_at, created_at, claimed_by, claimed_until, given_up_at)
    SELECT id, event_id, target, lane, status, attempts, next_attempt_at, last_error, sent_at, created_at, claimed_by, claimed_until,
      CASE WHEN status = 'rejected' THEN created_at END
    FROM webhook_forwards WHERE id IN (SELECT MIN(id) FROM webhook_forwards GROUP BY event_id, target);
  DROP TABLE webhook_forwards;
  ALTER TABLE webhook_forwards_next RENAME TO webhook_forwards;
  CREATE INDEX webhook_forwards_queue ON webhook_forwards (target, lane, id) WHERE status = 'pending';
  CREATE INDEX webhook_forwards_errors ON webhook_forwards (target, id) WHERE last_error IS NOT NULL AND status != 'sent';
  -- The dead letters, newest first (all, or one target's), and one target's in id order for a replay.
  CREATE INDEX webhook_dead_letters ON webhook_forwards (given_up_at, id) WHERE status IN ('rejected', 'expired');
  CREATE INDEX webhook_dead_letters_by_target ON webhook_forwards (target, given_up_at, id) WHERE status IN ('rejected', 'expired');
  CREATE INDEX webhook_dead_letters_replay ON webhook_forwards (target, id) WHERE status IN ('rejected', 'expired');
  -- How many dead letters each target has, by status, kept as they change (src/store/dead-letter-counter.ts).
  INSERT INTO webhook_counters (name, value)
    SELECT 'dead_letters:rejected:' || target, COUNT(*) FROM webhook_forwards WHERE status = 'rejected' GROUP BY target;
  `,
  `
  -- The calls' retention (CODE_RETENTION_DAYS, issue 16): the hourly pruning finds the calls older
  -- than the period by their start, and deletes their deliveries by call; the foreign keys check
  -- deliveries by code as each code goes (without an index, a scan of every delivery per code).
  -- PostgreSQL has had the same three since its first migration (calls_latest, deliveries_by_call,
  -- deliveries_by_code).
  CREATE INDEX calls_started ON calls (started_at);
  CREATE INDEX deliveries_by_call ON deliveries (call_sid);
  CREATE INDEX deliveries_by_code ON deliveries (code_id);
  `,
];
