-- The estimated scanned bytes of each running query, for `rastup-data queries running`.

ALTER TABLE running_queries ADD COLUMN scanned_bytes INTEGER NOT NULL DEFAULT 0;
