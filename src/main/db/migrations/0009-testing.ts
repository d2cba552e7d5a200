// The testing pipeline: suites (name@version, content digest), test runs (a run of kind 'test' with
// its candidate, baseline and suite), per-case records of both models, waivers, the gate policy and
// the model in production that baselines default to.
import type { Migration } from '../migrate';

export const migration: Migration = {
  version: 9,
  name: 'testing',
  up: `
    -- Test runs go through the same protocol as training runs; the runs table and Compare show only 'train'.
    ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'train' CHECK (kind IN ('train', 'test'));
    CREATE INDEX runs_project_kind ON runs (project_id, kind, created_at DESC);

    ALTER TABLE projects ADD COLUMN production_run TEXT REFERENCES runs (id);
    ALTER TABLE projects ADD COLUMN production_checkpoint TEXT;

    CREATE TABLE suites (
      id         TEXT PRIMARY KEY,
      project_id TEXT NOT NULL REFERENCES projects (id),
      name       TEXT NOT NULL,
      version    TEXT NOT NULL,
      digest     TEXT NOT NULL,
      -- the normalized suite (what the runner gets and reports show) and the file as the user wrote it
      spec       TEXT NOT NULL,
      source     TEXT NOT NULL,
      file_name  TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      UNIQUE (project_id, name, version)
    ) STRICT;

    CREATE TABLE test_policies (
      project_id TEXT PRIMARY KEY REFERENCES projects (id),
      policy     TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE test_runs (
      run_id               TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
      suite_id             TEXT NOT NULL REFERENCES suites (id),
      candidate_run        TEXT NOT NULL REFERENCES runs (id),
      candidate_checkpoint TEXT,
      baseline_kind        TEXT NOT NULL CHECK (baseline_kind IN ('production', 'base', 'run')),
      baseline_run         TEXT REFERENCES runs (id),
      baseline_checkpoint  TEXT,
      -- the models as the runner got them (loader, path) and the policy in force when it started
      models               TEXT NOT NULL,
      policy               TEXT NOT NULL,
      environment          TEXT,
      verdict              TEXT,
      report_sha256        TEXT,
      report_json_sha256   TEXT
    ) STRICT;
    CREATE INDEX test_runs_candidate ON test_runs (candidate_run);

    -- One row per case per model: the primary key is what makes a replayed line a no-op.
    CREATE TABLE test_records (
      run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      model   TEXT NOT NULL CHECK (model IN ('candidate', 'baseline')),
      case_id TEXT NOT NULL,
      seq     INTEGER NOT NULL,
      record  TEXT NOT NULL,
      -- a harness sample is a case the suite file does not list: its definition is kept beside it
      harness_case TEXT,
      PRIMARY KEY (run_id, model, case_id)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE test_models (
      run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      model  TEXT NOT NULL,
      info   TEXT NOT NULL,
      PRIMARY KEY (run_id, model)
    ) STRICT;

    CREATE TABLE test_waivers (
      run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      case_id TEXT NOT NULL,
      reason  TEXT NOT NULL,
      at      INTEGER NOT NULL,
      PRIMARY KEY (run_id, case_id)
    ) STRICT;
  `,
};
