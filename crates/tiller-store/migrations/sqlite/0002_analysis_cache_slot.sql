-- An analysis of a record state is superseded by the analysis of a later state: the
-- slot (program, revision, view and parameters) keeps only the newest of them, so the
-- cache does not grow with every record written. `slot_state` is the record state an
-- entry is of, so that a process finishing an older analysis late does not replace a
-- newer one another process stored.
ALTER TABLE analysis_cache ADD COLUMN slot TEXT;
ALTER TABLE analysis_cache ADD COLUMN slot_state BIGINT;
CREATE INDEX analysis_cache_slot ON analysis_cache(slot);
