-- The query gate: access tokens, city scopes of principals, the audit log, gate keys.
-- Timestamps are ISO 8601 UTC text so the same SQL runs on SQLite and PostgreSQL.

CREATE TABLE auth_tokens (
    token_id TEXT PRIMARY KEY,
    principal TEXT NOT NULL,
    role TEXT NOT NULL,
    salt TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
);

CREATE INDEX auth_tokens_principal ON auth_tokens (principal);

-- Row-level security: a principal with rows here sees only these cities.
CREATE TABLE analyst_city_scope (
    principal TEXT NOT NULL,
    city TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    PRIMARY KEY (principal, city)
);

-- Append-only and hash-chained: hash = sha256(prev_hash + canonical record).
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    query_id TEXT NOT NULL UNIQUE,
    at TEXT NOT NULL,
    day TEXT NOT NULL,
    env TEXT NOT NULL,
    principal TEXT NOT NULL,
    role TEXT NOT NULL,
    path TEXT NOT NULL,
    sql_text TEXT NOT NULL,
    relations TEXT NOT NULL,
    columns_read TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    scanned_bytes BIGINT NOT NULL,
    billed_bytes BIGINT NOT NULL,
    duration_ms DOUBLE PRECISION NOT NULL,
    status TEXT NOT NULL,
    code TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

CREATE INDEX audit_log_env_day ON audit_log (env, day);

CREATE INDEX audit_log_principal ON audit_log (principal, at);

-- Secrets the gate generates once per state database (the masking key).
CREATE TABLE governance_keys (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at TEXT NOT NULL
);
