// Sweeps: the search a user defined, its trials (ordinary runs, tagged here) and every decision its
// scheduler made on the host, read from the decision file exactly once (by sequence number).
import type { Migration } from '../migrate';

export const migration: Migration = {
  version: 14,
  name: 'sweeps',
  up: `
    CREATE TABLE sweeps (
      id               TEXT PRIMARY KEY,
      name             TEXT NOT NULL,
      project_id       TEXT NOT NULL REFERENCES projects (id),
      host_id          TEXT NOT NULL REFERENCES hosts (id),
      recipe           TEXT NOT NULL,
      -- the sweep file as checked (JSON), with the seed its draws used
      spec             TEXT NOT NULL,
      status           TEXT NOT NULL CHECK (status IN ('DRAFT', 'RUNNING', 'PAUSED', 'STOPPING', 'FINISHED', 'STOPPED', 'FAILED')),
      remote_dir       TEXT,
      -- how far the decision file has been read (bytes; the file is only appended to)
      decisions_offset INTEGER NOT NULL DEFAULT 0,
      best             TEXT,
      last_error       TEXT,
      created_at       INTEGER NOT NULL,
      updated_at       INTEGER NOT NULL
    );
    CREATE INDEX sweeps_project ON sweeps (project_id, created_at);
    CREATE TABLE sweep_trials (
      sweep_id TEXT NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
      idx      INTEGER NOT NULL,
      run_id   TEXT REFERENCES runs (id),
      params   TEXT NOT NULL,
      PRIMARY KEY (sweep_id, idx)
    );
    CREATE UNIQUE INDEX sweep_trials_run ON sweep_trials (run_id) WHERE run_id IS NOT NULL;
    CREATE TABLE sweep_decisions (
      sweep_id TEXT NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
      seq      INTEGER NOT NULL,
      ts       REAL NOT NULL,
      action   TEXT NOT NULL,
      run_id   TEXT,
      rung     INTEGER,
      value    REAL,
      cutoff   REAL,
      reason   TEXT NOT NULL,
      -- the whole line as the scheduler wrote it
      data     TEXT NOT NULL,
      PRIMARY KEY (sweep_id, seq)
    );
  `,
};
