-- The audit log stays append-only, with two recorded exceptions: a DSAR redaction may
-- replace sql_text (nothing else) of a record listed in audit_redactions, and retention may
-- delete records up to an anchor listed in audit_prunes.

DROP TRIGGER audit_log_no_update;

DROP TRIGGER audit_log_no_delete;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN NOT (
    NEW.seq IS OLD.seq AND NEW.query_id IS OLD.query_id AND NEW.at IS OLD.at
    AND NEW.day IS OLD.day AND NEW.env IS OLD.env AND NEW.principal IS OLD.principal
    AND NEW.role IS OLD.role AND NEW.path IS OLD.path AND NEW.relations IS OLD.relations
    AND NEW.columns_read IS OLD.columns_read AND NEW.row_count IS OLD.row_count
    AND NEW.scanned_bytes IS OLD.scanned_bytes AND NEW.billed_bytes IS OLD.billed_bytes
    AND NEW.duration_ms IS OLD.duration_ms AND NEW.status IS OLD.status
    AND NEW.code IS OLD.code AND NEW.prev_hash IS OLD.prev_hash AND NEW.hash IS OLD.hash
    AND NEW.sql_text = '[redacted]'
    AND EXISTS (SELECT 1 FROM audit_redactions AS r WHERE r.seq = OLD.seq)
)
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: only a recorded redaction may replace sql_text'); END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM audit_prunes AS p WHERE p.through_seq >= OLD.seq)
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: only records before a recorded prune anchor may be deleted'); END;
