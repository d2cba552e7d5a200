// Tags and notes on runs, editable inline in the runs table and usable in filters (tag:baseline).
import type { Migration } from '../migrate';

export const migration: Migration = {
  version: 5,
  name: 'run-annotations',
  up: `
    ALTER TABLE runs ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT '';
  `,
};
