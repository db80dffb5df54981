-- Sticky experiment assignments, identity links and logged exposures.
-- Timestamps are ISO 8601 UTC text so the same SQL runs on SQLite and PostgreSQL.

CREATE TABLE experiment_assignments (
    exp_key TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    unit_type TEXT NOT NULL,
    variant TEXT,
    in_experiment INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    reason TEXT NOT NULL,
    source_unit_id TEXT NOT NULL,
    assigned_at TEXT NOT NULL,
    PRIMARY KEY (exp_key, unit_id)
);

CREATE TABLE identity_links (
    anon_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    linked_at TEXT NOT NULL
);

CREATE INDEX identity_links_user ON identity_links (user_id);

CREATE TABLE exposures_logged (
    exp_key TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    unit_type TEXT NOT NULL,
    variant TEXT NOT NULL,
    event_id TEXT NOT NULL,
    exposed_at TEXT NOT NULL,
    PRIMARY KEY (exp_key, unit_id),
    FOREIGN KEY (exp_key, unit_id) REFERENCES experiment_assignments (exp_key, unit_id)
);
