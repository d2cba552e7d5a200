// Production candidates, a project's objective (what "best" means), and its saved recipe.
import type { Migration } from '../migrate';

export const migration: Migration = {
  version: 4,
  name: 'candidates',
  up: `
    ALTER TABLE projects ADD COLUMN objective_metric TEXT NOT NULL DEFAULT 'eval_loss';
    ALTER TABLE projects ADD COLUMN objective_goal TEXT NOT NULL DEFAULT 'minimize' CHECK (objective_goal IN ('minimize', 'maximize'));
    -- The recipe and parameters saved from a run, reused by continuous training.
    ALTER TABLE projects ADD COLUMN recipe TEXT;
    ALTER TABLE projects ADD COLUMN recipe_params TEXT;
    ALTER TABLE projects ADD COLUMN recipe_from_run TEXT REFERENCES runs (id);

    CREATE TABLE candidates (
      id          TEXT PRIMARY KEY,
      project_id  TEXT NOT NULL REFERENCES projects (id),
      run_id      TEXT NOT NULL REFERENCES runs (id),
      checkpoint  TEXT,
      reason      TEXT NOT NULL,
      proposed_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX candidates_project ON candidates (project_id, proposed_at DESC);
  `,
};
