-- BI extract refreshes: one row per attempt to refresh a dataset's extract (scheduled or on
-- demand), for `rastup-data bi status` (last success, duration, rows, bytes, success ratio)
-- and the BI_REFRESH_FAILED alert (consecutive failures).

CREATE TABLE bi_refresh_runs (
    run_id TEXT PRIMARY KEY,
    dataset TEXT NOT NULL,
    trigger TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    duration_ms REAL NOT NULL,
    status TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    snapshot TEXT,
    error TEXT
);

CREATE INDEX bi_refresh_runs_dataset ON bi_refresh_runs (dataset, started_at);
