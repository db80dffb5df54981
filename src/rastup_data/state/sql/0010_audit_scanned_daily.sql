-- Bytes scanned per environment and UTC day, added to in the transaction of each audit
-- append that scanned: the budget check reads one row instead of summing the day's records
-- (a busy day of dashboards appends thousands). Filled from the audit log as it stands.

CREATE TABLE audit_scanned_daily (
    env TEXT NOT NULL,
    day TEXT NOT NULL,
    scanned_bytes BIGINT NOT NULL,
    PRIMARY KEY (env, day)
);

INSERT INTO audit_scanned_daily (env, day, scanned_bytes)
SELECT env, day, sum(scanned_bytes) FROM audit_log GROUP BY env, day;
