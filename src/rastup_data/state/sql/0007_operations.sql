-- Operations: alerts (current state and history), scheduler runs, operator controls
-- (paused jobs, widened buffers, pinned dashboards) and the queries running right now.

-- One row per alert that is pending or firing (a rule plus its labels: the fingerprint).
CREATE TABLE alert_state (
    fingerprint TEXT PRIMARY KEY,
    env TEXT NOT NULL,
    rule TEXT NOT NULL,
    labels TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    active_since TEXT NOT NULL,
    fired_at TEXT,
    notified_at TEXT,
    value DOUBLE PRECISION NOT NULL,
    summary TEXT NOT NULL,
    runbook TEXT NOT NULL
);

-- Every notification: firing, repeated, resolved, or a notice sent by an operator.
CREATE TABLE alert_events (
    event_id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    env TEXT NOT NULL,
    rule TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    severity TEXT NOT NULL,
    labels TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    summary TEXT NOT NULL,
    runbook TEXT NOT NULL,
    code TEXT
);

CREATE INDEX alert_events_at ON alert_events (at);

CREATE INDEX alert_events_rule ON alert_events (rule, at);

-- Every scheduled run with its outcome (running until it finishes).
CREATE TABLE scheduler_runs (
    run_id TEXT PRIMARY KEY,
    job TEXT NOT NULL,
    due_at TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    detail TEXT NOT NULL,
    runner TEXT NOT NULL
);

CREATE INDEX scheduler_runs_job ON scheduler_runs (job, due_at);

-- Switches operators set from runbooks; running processes read them.
CREATE TABLE ops_controls (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL,
    reason TEXT NOT NULL
);

-- Queries running through the query gate, in any process, and kill requests for them.
CREATE TABLE running_queries (
    query_id TEXT PRIMARY KEY,
    env TEXT NOT NULL,
    principal TEXT NOT NULL,
    role TEXT NOT NULL,
    path TEXT NOT NULL,
    sql_text TEXT NOT NULL,
    started_at TEXT NOT NULL,
    runner TEXT NOT NULL,
    kill_requested_at TEXT,
    kill_requested_by TEXT
);
