// Projects: the first table. Later migrations add hosts, runs, metrics, logs, candidates, reports, approvals.
import type { Migration } from '../migrate';

export const migration: Migration = {
  version: 1,
  name: 'projects',
  up: `
    CREATE TABLE projects (
      id          TEXT PRIMARY KEY,
      name        TEXT NOT NULL COLLATE NOCASE UNIQUE,
      description TEXT NOT NULL DEFAULT '',
      base_model  TEXT NOT NULL DEFAULT '',
      archived_at INTEGER,
      created_at  INTEGER NOT NULL,
      updated_at  INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX projects_updated ON projects (updated_at DESC);
  `,
};
