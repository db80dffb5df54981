"""The HTTP collector: batch ingest with per-event verdicts over a durable spool."""
