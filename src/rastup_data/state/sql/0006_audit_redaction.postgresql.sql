-- The audit log stays append-only, with two recorded exceptions: a DSAR redaction may
-- replace sql_text (nothing else) of a record listed in audit_redactions, and retention may
-- delete records up to an anchor listed in audit_prunes.

CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'DELETE' THEN IF EXISTS (SELECT 1 FROM audit_prunes AS p WHERE p.through_seq >= OLD.seq) THEN RETURN OLD; END IF; RAISE EXCEPTION 'audit_log is append-only: only records before a recorded prune anchor may be deleted'; END IF; IF NEW.sql_text = '[redacted]' AND (to_jsonb(NEW) - 'sql_text') = (to_jsonb(OLD) - 'sql_text') AND EXISTS (SELECT 1 FROM audit_redactions AS r WHERE r.seq = OLD.seq) THEN RETURN NEW; END IF; RAISE EXCEPTION 'audit_log is append-only: only a recorded redaction may replace sql_text'; END $$;
