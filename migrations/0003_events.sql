-- The transactional outbox: every change to users and posts writes one row
-- here in the same transaction as the change.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    type        TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    data        TEXT NOT NULL
);

CREATE INDEX events_occurred_at ON events (occurred_at);
