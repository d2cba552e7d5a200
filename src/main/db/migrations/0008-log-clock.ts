// When log lines were written: the supervisor's logs/output.clock, an (offset in output.log, time)
// pair at most once a second. Log lines have no time of their own; with this a log marker can be
// placed on the charts (at the step logged at that time) and a chart marker found in the log.
import type { Migration } from '../migrate';

export const migration: Migration = {
  version: 8,
  name: 'log-clock',
  up: `
    -- epoch: the clock file's epoch (see run_cursors); a replaced log comes with a replaced clock,
    -- so it is matched with the log lines' epoch.
    CREATE TABLE log_clock (
      run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      epoch  INTEGER NOT NULL,
      offset INTEGER NOT NULL,  -- byte offset in logs/output.log where the lines written at ts start
      ts     REAL NOT NULL,
      PRIMARY KEY (run_id, epoch, offset)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX log_clock_ts ON log_clock (run_id, epoch, ts);
  `,
};
