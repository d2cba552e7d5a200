// Sweeps across several hosts: the app drives them (no one host can run the scheduler beside every
// trial). host_ids lists the hosts (JSON, in the sweep file's order; NULL for a one-host sweep, whose
// scheduler on the host decides). driver_owner/driver_until: the engine that drives the sweep now, so
// two open engines (the desktop app and `tunebench serve`) never both launch its trials.
import type { Migration } from '../migrate';

export const migration: Migration = {
  version: 16,
  name: 'sweep-hosts',
  up: `
    ALTER TABLE sweeps ADD COLUMN host_ids TEXT;
    ALTER TABLE sweeps ADD COLUMN driver_owner TEXT;
    ALTER TABLE sweeps ADD COLUMN driver_until INTEGER;
  `,
};
