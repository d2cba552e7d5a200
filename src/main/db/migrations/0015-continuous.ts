// Continuous training: datasets with versions (kept in the data directory by digest), triggers, and
// every firing of a trigger with what it produced (run, test run, candidate) or why it did not.
import type { Migration } from '../migrate';

export const migration: Migration = {
  version: 15,
  name: 'continuous-training',
  up: `
    CREATE TABLE datasets (
      id         TEXT PRIMARY KEY,
      project_id TEXT NOT NULL REFERENCES projects (id),
      name       TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      -- a file on a host, watched by digest: each new content becomes a version
      watch_host_id TEXT REFERENCES hosts (id),
      watch_path    TEXT,
      -- what the last look saw ({size, mtime, sha256}), so an unchanged file is not hashed again
      watch_seen    TEXT,
      watch_error   TEXT,
      UNIQUE (project_id, name)
    );
    CREATE TABLE dataset_versions (
      id         TEXT PRIMARY KEY,
      dataset_id TEXT NOT NULL REFERENCES datasets (id),
      version    INTEGER NOT NULL,
      sha256     TEXT NOT NULL,
      bytes      INTEGER NOT NULL,
      lines      INTEGER NOT NULL,
      preview    TEXT NOT NULL,
      source     TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      UNIQUE (dataset_id, version)
    );
    CREATE TABLE triggers (
      id             TEXT PRIMARY KEY,
      project_id     TEXT NOT NULL REFERENCES projects (id),
      kind           TEXT NOT NULL CHECK (kind IN ('dataset', 'schedule', 'manual')),
      dataset_id     TEXT REFERENCES datasets (id),
      schedule       TEXT,
      host_id        TEXT NOT NULL REFERENCES hosts (id),
      enabled        INTEGER NOT NULL DEFAULT 1,
      last_window_at INTEGER,
      created_at     INTEGER NOT NULL
    );
    CREATE TABLE trigger_firings (
      id                 TEXT PRIMARY KEY,
      trigger_id         TEXT NOT NULL REFERENCES triggers (id),
      project_id         TEXT NOT NULL REFERENCES projects (id),
      status             TEXT NOT NULL,
      reason             TEXT NOT NULL,
      dataset_version_id TEXT REFERENCES dataset_versions (id),
      run_id             TEXT,
      test_id            TEXT,
      detail             TEXT,
      fired_at           INTEGER NOT NULL,
      updated_at         INTEGER NOT NULL
    );
    CREATE INDEX trigger_firings_project ON trigger_firings (project_id, fired_at);
  `,
};
