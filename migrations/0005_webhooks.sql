-- Webhooks, one delivery row per (webhook, event), and each attempt.
CREATE TABLE webhooks (
    id                   TEXT PRIMARY KEY NOT NULL,
    url                  TEXT NOT NULL,
    events               TEXT NOT NULL,           -- JSON array of event types
    secret               TEXT NOT NULL,
    enabled              INTEGER NOT NULL DEFAULT 1,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    created_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE webhook_deliveries (
    id                 TEXT PRIMARY KEY NOT NULL,
    webhook_id         TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id           TEXT NOT NULL,
    event_type         TEXT NOT NULL,
    payload            TEXT NOT NULL,
    status             TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts           INTEGER NOT NULL DEFAULT 0,
    last_response_code INTEGER,
    last_error         TEXT,
    next_attempt_at    TEXT,
    created_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    delivered_at       TEXT,
    UNIQUE (webhook_id, event_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (webhook_id, created_at);

CREATE TABLE webhook_attempts (
    delivery_id   TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at  TEXT NOT NULL,
    response_code INTEGER,
    error         TEXT,
    duration_ms   INTEGER NOT NULL
);

CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id);

-- How far the dispatcher has fanned events out to webhooks.
CREATE TABLE dispatcher_state (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq INTEGER NOT NULL
);
