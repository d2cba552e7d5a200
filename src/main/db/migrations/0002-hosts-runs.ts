// Hosts, the app's own trusted host keys, runs, their streaming cursors, and what was ingested from them.
import type { Migration } from '../migrate';

export const migration: Migration = {
  version: 2,
  name: 'hosts-runs',
  up: `
    CREATE TABLE hosts (
      id            TEXT PRIMARY KEY,
      name          TEXT NOT NULL COLLATE NOCASE UNIQUE,
      kind          TEXT NOT NULL CHECK (kind IN ('local', 'ssh')),
      hostname      TEXT,
      port          INTEGER,
      user          TEXT,
      identity_file TEXT,
      proxy_jump    TEXT,
      python        TEXT NOT NULL,
      run_root      TEXT NOT NULL,
      created_at    INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE trusted_host_keys (
      host        TEXT NOT NULL,
      port        INTEGER NOT NULL,
      key_type    TEXT NOT NULL,
      fingerprint TEXT NOT NULL,
      trusted_at  INTEGER NOT NULL,
      PRIMARY KEY (host, port, key_type)
    ) STRICT;

    CREATE TABLE runs (
      id              TEXT PRIMARY KEY,
      project_id      TEXT NOT NULL REFERENCES projects (id),
      host_id         TEXT NOT NULL REFERENCES hosts (id),
      recipe          TEXT NOT NULL,
      params          TEXT NOT NULL,
      status          TEXT NOT NULL,
      disconnected    INTEGER NOT NULL DEFAULT 0,
      remote_dir      TEXT NOT NULL,
      exit_code       INTEGER,
      created_at      INTEGER NOT NULL,
      ended_at        INTEGER,
      malformed_lines INTEGER NOT NULL DEFAULT 0,
      last_error      TEXT
    ) STRICT;
    CREATE INDEX runs_project ON runs (project_id, created_at DESC);
    CREATE INDEX runs_unfinished ON runs (status) WHERE status IN ('QUEUED', 'STARTING', 'RUNNING', 'CANCELLING');

    -- One cursor per run and remote file: the file's identity, how far we read, and the epoch
    -- (bumped when the file was replaced or truncated, so old rows are never confused with new ones).
    CREATE TABLE run_cursors (
      run_id    TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      file      TEXT NOT NULL,
      file_id   TEXT NOT NULL,
      offset    INTEGER NOT NULL,
      epoch     INTEGER NOT NULL,
      -- 1 while inside an overlong line: discard up to the next newline
      skipping  INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (run_id, file)
    ) STRICT;

    CREATE TABLE log_lines (
      run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      n      INTEGER NOT NULL,
      epoch  INTEGER NOT NULL,
      offset INTEGER NOT NULL,
      text   TEXT NOT NULL,
      PRIMARY KEY (run_id, n),
      UNIQUE (run_id, epoch, offset)
    ) STRICT;

    -- One series per run, stream (metrics | sys) and metric name; points keyed by integers so that
    -- ingest and range queries stay cheap at millions of points.
    CREATE TABLE metric_series (
      id     INTEGER PRIMARY KEY,
      run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      stream TEXT NOT NULL,
      name   TEXT NOT NULL,
      kind   TEXT NOT NULL,
      -- how many points the series holds (the next point's idx), and the highest seq stored:
      -- a line whose seq is not above it was stored before (a replaced file, a replayed line)
      points   INTEGER NOT NULL DEFAULT 0,
      last_seq INTEGER NOT NULL DEFAULT 0,
      -- the summary a runs table shows, kept at ingest: extremes with their steps, and the last value
      min      REAL,
      min_step REAL,
      max      REAL,
      max_step REAL,
      last     REAL,
      last_step REAL,
      UNIQUE (run_id, stream, name)
    ) STRICT;

    -- idx is the point's rank in its series (0, 1, 2, ...), which the min/max pyramid is built on;
    -- seq is the line's sequence number (see metric_series.last_seq for how repeats are dropped).
    CREATE TABLE metric_points (
      series_id INTEGER NOT NULL REFERENCES metric_series (id) ON DELETE CASCADE,
      idx       INTEGER NOT NULL,
      seq       INTEGER NOT NULL,
      ts        REAL NOT NULL,
      step      REAL,
      value     REAL,
      PRIMARY KEY (series_id, idx)
    ) STRICT, WITHOUT ROWID;
  `,
};
