-- Refresh tokens (stored only as SHA-256 hashes) grouped in session families,
-- and API keys (hashes, looked up by their stored prefix).
CREATE TABLE refresh_tokens (
    token_hash        TEXT PRIMARY KEY NOT NULL,
    family_id         TEXT NOT NULL,
    parent_hash       TEXT,
    user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at        TEXT NOT NULL,
    -- Idle expiry of this token, and absolute expiry of its family.
    expires_at        TEXT NOT NULL,
    family_expires_at TEXT NOT NULL,
    used_at           TEXT,
    revoked_at        TEXT,
    user_agent        TEXT,
    ip                TEXT
) WITHOUT ROWID;

CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (family_expires_at);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL UNIQUE,
    key_hash     TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    last_used_at TEXT,
    revoked_at   TEXT
);
