// Lifecycle events of runs from events.jsonl: started, checkpoint_saved, cancel_requested, exited, ...
import type { Migration } from '../migrate';

export const migration: Migration = {
  version: 7,
  name: 'run-events',
  up: `
    CREATE TABLE run_events (
      id     INTEGER PRIMARY KEY,
      run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      ts     REAL NOT NULL,
      kind   TEXT NOT NULL,
      step   REAL,
      data   TEXT NOT NULL
    ) STRICT;
    CREATE INDEX run_events_run ON run_events (run_id, kind);
  `,
};
