// Review bundles (exported here or imported from another machine), signed decisions, and each
// project's approval rules: who may sign (an OpenSSH allowed_signers file), whether the proposer may
// approve their own candidate, how many approvals a candidate needs; and who this user is.
import type { Migration } from '../migrate';

export const migration: Migration = {
  version: 10,
  name: 'reviews',
  up: `
    ALTER TABLE candidates ADD COLUMN proposed_by TEXT;

    CREATE TABLE settings (
      key   TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) STRICT;

    CREATE TABLE approval_rules (
      project_id          TEXT PRIMARY KEY REFERENCES projects (id),
      allowed_signers     TEXT NOT NULL,
      forbid_self_approval INTEGER NOT NULL DEFAULT 1,
      required_approvals  INTEGER NOT NULL DEFAULT 1,
      updated_at          INTEGER NOT NULL
    ) STRICT;

    -- A bundle is known by the sha256 of its manifest. Exported ones point at their local test run;
    -- imported ones stand alone (the reviewer's machine may have no project, host or run at all).
    CREATE TABLE review_bundles (
      id           TEXT PRIMARY KEY,
      origin       TEXT NOT NULL CHECK (origin IN ('exported', 'imported')),
      project_id   TEXT NOT NULL,
      project_name TEXT NOT NULL,
      test_run_id  TEXT NOT NULL,
      manifest     TEXT NOT NULL,
      report_json  TEXT NOT NULL,
      report_html  TEXT NOT NULL,
      -- the project's allowed_signers as the bundle carried it (lets a reviewer see early that a key is not listed)
      allowed_signers TEXT,
      created_at   INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX review_bundles_test_run ON review_bundles (test_run_id);

    -- Decisions signed on this machine (the reviewer's side), kept to show and to send again.
    CREATE TABLE signed_decisions (
      digest     TEXT PRIMARY KEY,
      bundle_id  TEXT NOT NULL REFERENCES review_bundles (id),
      payload    TEXT NOT NULL,
      signature  TEXT NOT NULL,
      decision   TEXT NOT NULL,
      reviewer   TEXT NOT NULL,
      signed_at  INTEGER NOT NULL
    ) STRICT;

    -- The project's chain of decisions (the requester's side): payload bytes exactly as signed,
    -- the SSHSIG, and 'previous' = the digest of the decision before (NULL for the first).
    CREATE TABLE approvals (
      digest      TEXT PRIMARY KEY,
      project_id  TEXT NOT NULL REFERENCES projects (id),
      seq         INTEGER NOT NULL,
      previous    TEXT,
      test_run_id TEXT NOT NULL REFERENCES runs (id),
      decision    TEXT NOT NULL CHECK (decision IN ('approve', 'reject', 'request-changes')),
      reviewer    TEXT NOT NULL,
      fingerprint TEXT NOT NULL,
      payload     TEXT NOT NULL,
      signature   TEXT NOT NULL,
      imported_at INTEGER NOT NULL,
      UNIQUE (project_id, seq)
    ) STRICT;
  `,
};
