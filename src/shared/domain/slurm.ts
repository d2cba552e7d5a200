// SLURM clusters: a login node reached over SSH plus the defaults every job of it is submitted with,
// the resources a run asks for, and what a probe of the cluster found.
import { z } from 'zod';

const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;
const Word = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[\w.,:@%+=-]+$/, 'Use letters, digits and . , : @ % + = - only.');

/**
 * SLURM's time formats: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS. Stored as the user wrote
 * it; checked here so a typo fails before anything is submitted.
 */
export const SlurmTime = z
  .string()
  .trim()
  .regex(/^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d{1,2}(:\d{1,2}){0,2})$/, 'A time limit looks like 90 (minutes), 4:00:00 or 1-12:00:00.');

/** Seconds in a SLURM time string (see SlurmTime). */
export function slurmTimeSeconds(text: string): number {
  const t = text.trim();
  const day = /^(\d+)-(.*)$/.exec(t);
  if (day) {
    const [h = '0', m = '0', s = '0'] = day[2]!.split(':');
    return Number(day[1]) * 86_400 + Number(h) * 3600 + Number(m) * 60 + Number(s);
  }
  const parts = t.split(':').map(Number);
  if (parts.length === 1) return parts[0]! * 60;
  if (parts.length === 2) return parts[0]! * 60 + parts[1]!;
  return parts[0]! * 3600 + parts[1]! * 60 + parts[2]!;
}

/** The defaults of a cluster; each launch may override partition, account, QOS and time. */
export const SlurmSettings = z.strictObject({
  partition: Word.optional(),
  account: Word.optional(),
  qos: Word.optional(),
  time: SlurmTime.optional(),
  /** Extra `#SBATCH` lines, written as given after ours (e.g. `--constraint=a100`). */
  sbatchLines: z
    .array(
      z
        .string()
        .trim()
        .min(1)
        .max(500)
        .regex(NO_CONTROL)
        .regex(/^--?[A-Za-z]/, 'Each extra line is an sbatch option, e.g. --constraint=a100.'),
    )
    .max(50)
    .optional(),
  /** A shell line run before every SLURM command and in the job (e.g. `module load slurm`). */
  setup: z.string().trim().min(1).max(2000).regex(NO_CONTROL).optional(),
  /** Seconds before the time limit when SLURM sends USR2, so the run checkpoints and is requeued. */
  signalSeconds: z.number().int().min(10).max(3600).optional(),
});
export type SlurmSettings = z.infer<typeof SlurmSettings>;

export const DEFAULT_SIGNAL_SECONDS = 120;

/** What one run asks the cluster for. Memory is SLURM's own syntax (e.g. 32G). */
export const RunResources = z.strictObject({
  nodes: z.number().int().min(1, 'A run needs at least one node.').max(1024).optional(),
  gpusPerNode: z.number().int().min(0).max(64).optional(),
  cpusPerTask: z.number().int().min(1).max(1024).optional(),
  mem: z
    .string()
    .trim()
    .regex(/^\d+[KMGT]?$/i, 'Memory looks like 32G or 64000M.')
    .optional(),
  time: SlurmTime.optional(),
  partition: Word.optional(),
  account: Word.optional(),
  qos: Word.optional(),
});
export type RunResources = z.infer<typeof RunResources>;

/** The SLURM side of a run, as the tracker keeps it. */
export const RunJob = z.object({
  jobId: z.string(),
  /** The job's submit time in SLURM's clock text: job ids are reused, so (id, submit time) names a job. */
  submittedAt: z.string().nullable(),
  state: z.string().nullable(),
  reason: z.string().nullable(),
  /** 0 for the first attempt; each requeue adds one. */
  attempt: z.number().int(),
  nodes: z.string().nullable(),
  resources: RunResources,
});
export type RunJob = z.infer<typeof RunJob>;

export const SlurmPartition = z.object({
  name: z.string(),
  isDefault: z.boolean(),
  up: z.boolean(),
  /** Seconds; null when unlimited. */
  maxTimeSeconds: z.number().nullable(),
  maxNodes: z.number().nullable(),
  nodes: z.number().int(),
  nodeList: z.string(),
  cpusPerNode: z.number().int().nullable(),
  memoryMiBPerNode: z.number().nullable(),
  gpusPerNode: z.number().int(),
  gres: z.string(),
});
export type SlurmPartition = z.infer<typeof SlurmPartition>;

export const SlurmProbe = z.object({
  version: z.string().nullable(),
  partitions: z.array(SlurmPartition),
  jobs: z.array(z.object({ id: z.string(), state: z.string(), name: z.string(), reason: z.string() })),
  accounting: z.boolean(),
  accountingDetail: z.string(),
  /** Whether a job on a compute node read a file the login node wrote under the run root (null: not checked). */
  sharedRunRoot: z.boolean().nullable(),
  sharedRunRootDetail: z.string(),
  /** Whether a job may submit jobs from a compute node (a sweep's scheduler does); null: not checked (probes before 2026-11-29). */
  computeSubmit: z.boolean().nullable().default(null),
  computeSubmitDetail: z.string().default(''),
});
export type SlurmProbe = z.infer<typeof SlurmProbe>;
