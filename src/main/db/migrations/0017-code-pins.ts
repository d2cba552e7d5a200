// What code a run trained with (the local directory, the digest of what was uploaded, git's commit and
// whether there were uncommitted changes), and the same pinned with a project's saved recipe, so
// continuous training re-runs that code rather than whatever the directory holds by then.
import type { Migration } from '../migrate';

export const migration: Migration = {
  version: 17,
  name: 'code-pins',
  up: `
    ALTER TABLE runs ADD COLUMN code_json TEXT;
    ALTER TABLE projects ADD COLUMN recipe_code TEXT;
  `,
};
