// Model registries (an OCI registry, or a directory on an SSH host) and pushes to them, with what a
// push needs to resume after a cut link or a killed app: each blob's upload location.
import type { Migration } from '../migrate';

export const migration: Migration = {
  version: 11,
  name: 'registries',
  up: `
    CREATE TABLE registries (
      id            TEXT PRIMARY KEY,
      name          TEXT NOT NULL COLLATE NOCASE UNIQUE,
      kind          TEXT NOT NULL CHECK (kind IN ('oci', 'ssh')),
      -- oci: https://host[:port]/prefix; ssh: the host's name in this data directory and the root path
      url           TEXT,
      host_id       TEXT REFERENCES hosts (id),
      path          TEXT,
      ca_file       TEXT,
      insecure_http INTEGER NOT NULL DEFAULT 0,
      -- the user name to log in with; the password is never stored (docker's credential store, or memory)
      username      TEXT,
      created_at    INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE pushes (
      id              TEXT PRIMARY KEY,
      registry_id     TEXT NOT NULL REFERENCES registries (id) ON DELETE CASCADE,
      approval        TEXT NOT NULL,
      model           TEXT NOT NULL,
      version         TEXT NOT NULL,
      status          TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
      bytes_total     INTEGER NOT NULL DEFAULT 0,
      bytes_done      INTEGER NOT NULL DEFAULT 0,
      manifest_digest TEXT,
      error           TEXT,
      started_at      INTEGER NOT NULL,
      ended_at        INTEGER,
      UNIQUE (registry_id, model, version, approval)
    ) STRICT;

    CREATE TABLE push_blobs (
      push_id  TEXT NOT NULL REFERENCES pushes (id) ON DELETE CASCADE,
      digest   TEXT NOT NULL,
      size     INTEGER NOT NULL,
      location TEXT,
      done     INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (push_id, digest)
    ) STRICT;
  `,
};
