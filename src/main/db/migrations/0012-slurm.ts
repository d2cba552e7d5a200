// SLURM clusters: a host's cluster defaults, and the job behind each run submitted to one.
import type { Migration } from '../migrate';

export const migration: Migration = {
  version: 12,
  name: 'slurm',
  up: `
    -- JSON of SlurmSettings; NULL for workstations. A cluster's login node is an 'ssh' host with this set.
    ALTER TABLE hosts ADD COLUMN slurm TEXT;

    -- The job behind a run on a cluster. SLURM reuses job ids, so a job is (id, submit time):
    -- submitted_at is filled in the first time squeue shows the job.
    ALTER TABLE runs ADD COLUMN job_id TEXT;
    ALTER TABLE runs ADD COLUMN job_submitted_at TEXT;
    ALTER TABLE runs ADD COLUMN job_state TEXT;
    ALTER TABLE runs ADD COLUMN job_reason TEXT;
    ALTER TABLE runs ADD COLUMN job_attempt INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN job_nodes TEXT;
    -- JSON of RunResources as launched.
    ALTER TABLE runs ADD COLUMN resources TEXT;
    CREATE INDEX runs_job ON runs (host_id, job_id) WHERE job_id IS NOT NULL;

    DROP INDEX runs_unfinished;
    CREATE INDEX runs_unfinished ON runs (status) WHERE status IN ('STARTING', 'PENDING', 'RUNNING', 'PREEMPTED', 'REQUEUED', 'CANCELLING');
  `,
};
