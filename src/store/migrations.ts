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
];
