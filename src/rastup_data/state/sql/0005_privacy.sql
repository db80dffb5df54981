-- Privacy: DSAR requests, the ids each erasure covers (tombstones), their history, legal
-- holds and audit redactions. Timestamps are ISO 8601 UTC text (portable SQL).
-- The subject of a request appears only hashed: subject_key is a keyed hash (blake2b with
-- the state database's privacy key) that finds requests, holds and later events again;
-- subject_hash is sha256(subject_salt || user id), what a certificate shows.

CREATE TABLE dsar_requests (
    request_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    subject_salt TEXT NOT NULL,
    subject_hash TEXT NOT NULL,
    reason TEXT,
    filed_by TEXT NOT NULL,
    received_at TEXT NOT NULL,
    excluded_at TEXT,
    purged_at TEXT,
    verified_at TEXT,
    blocked_at TEXT,
    blocked_case TEXT,
    deadline_at TEXT NOT NULL,
    extended_at TEXT,
    extension_reason TEXT,
    certificate TEXT,
    updated_at TEXT NOT NULL
);

CREATE INDEX dsar_requests_subject ON dsar_requests (subject_key);

CREATE INDEX dsar_requests_state ON dsar_requests (state, deadline_at);

-- One row per id an erasure covers: the user and every linked anonymous id. The raw id
-- (user_id or anon_id) is what reads exclude and purges remove; it is cleared when the
-- request is verified, and subject_key stays so later events are still suppressed.
CREATE TABLE tombstones (
    request_id TEXT NOT NULL REFERENCES dsar_requests (request_id),
    subject_key TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    user_id TEXT,
    anon_id TEXT,
    source TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (request_id, subject_key)
);

CREATE INDEX tombstones_key ON tombstones (subject_key);

CREATE TABLE dsar_history (
    request_id TEXT NOT NULL REFERENCES dsar_requests (request_id),
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (request_id, seq)
);

CREATE INDEX dsar_history_event ON dsar_history (event, at);

-- A case may hold several subjects; user_id is kept while the hold is active and cleared
-- on release (subject_key stays for the record).
CREATE TABLE legal_holds (
    case_id TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    user_id TEXT,
    reason TEXT NOT NULL,
    placed_by TEXT NOT NULL,
    placed_at TEXT NOT NULL,
    until_date TEXT,
    released_at TEXT,
    released_by TEXT,
    PRIMARY KEY (case_id, subject_key)
);

CREATE INDEX legal_holds_subject ON legal_holds (subject_key);

-- Audit records whose SQL named an erased subject: the text is replaced, the record's hash
-- stays, and fields_sha256 (every other field) is committed by a chained privacy record.
CREATE TABLE audit_redactions (
    seq BIGINT PRIMARY KEY,
    request_id TEXT NOT NULL,
    fields_sha256 TEXT NOT NULL,
    redaction_query_id TEXT NOT NULL,
    redacted_at TEXT NOT NULL
);

-- Retention of the audit log: records up to through_seq were deleted; last_hash is the hash
-- of the last one, so the chain is verified from there (an anchor, itself kept forever).
CREATE TABLE audit_prunes (
    through_seq BIGINT PRIMARY KEY,
    last_hash TEXT NOT NULL,
    records BIGINT NOT NULL,
    pruned_at TEXT NOT NULL
);
