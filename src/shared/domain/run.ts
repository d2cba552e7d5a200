// Runs: one launch of a recipe on a host, its lifecycle, and what the tracker stored of it.
import { z } from 'zod';
import { Ulid } from '../ids';
import { Objective } from './project';
import { RunJob, RunResources } from './slurm';

/**
 * PENDING, PREEMPTED and REQUEUED are SLURM's: waiting in the queue (the job's reason says why), stopped
 * for a higher-priority job, and back in the queue after a preemption or time limit. None is final.
 */
export const RunStatus = z.enum(['QUEUED', 'STARTING', 'PENDING', 'RUNNING', 'PREEMPTED', 'REQUEUED', 'CANCELLING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'LOST']);
export type RunStatus = z.infer<typeof RunStatus>;
export const FINAL_STATUSES: readonly RunStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'LOST'];
/** Statuses the watcher keeps following (QUEUED belongs to the launcher until it is STARTING). */
export const FOLLOWED_STATUSES: readonly RunStatus[] = ['STARTING', 'PENDING', 'RUNNING', 'PREEMPTED', 'REQUEUED', 'CANCELLING'];

export const Run = z.object({
  id: Ulid,
  /** A human-readable name beside the id: generated (adjective-noun-N, N the run's number in its project), renamed by the user. */
  name: z.string(),
  projectId: Ulid,
  hostId: Ulid,
  hostName: z.string(),
  recipe: z.string(),
  /** 'train' for runs launched from a recipe; 'test' for a candidate's test run (see testing.ts). */
  kind: z.enum(['train', 'test']),
  params: z.record(z.string(), z.unknown()),
  status: RunStatus,
  /** True while the last attempt to reach the host failed: a dropped link, never a failed run. */
  disconnected: z.boolean(),
  remoteDir: z.string(),
  exitCode: z.number().int().nullable(),
  createdAt: z.number(),
  endedAt: z.number().nullable(),
  logLines: z.number().int(),
  metricPoints: z.number().int(),
  malformedLines: z.number().int(),
  lastError: z.string().nullable(),
  /** The SLURM job behind the run (null on workstations). */
  job: RunJob.nullable(),
});
export type Run = z.infer<typeof Run>;

const ParamValue = z.union([z.string().max(10_000), z.number(), z.boolean(), z.array(z.string().max(1000)).max(100)]);

export const LaunchInput = z.strictObject({
  project: z.string().trim().min(1).max(200),
  host: z.string().trim().min(1).max(200),
  recipe: z.string().trim().min(1).max(100),
  // zod's record drops a "__proto__" key without a word: refuse it, so no parameter vanishes.
  params: z
    .preprocess(
      (v, ctx) => {
        if (v !== null && typeof v === 'object' && Object.hasOwn(v, '__proto__')) ctx.addIssue({ code: 'custom', message: '"__proto__" cannot be a parameter name.' });
        return v;
      },
      z.record(z.string().max(100), ParamValue),
    )
    .optional(),
  dataset: z.string().max(4096).optional(),
  code: z.string().max(4096).optional(),
  /** On a workstation: the GPUs (nvidia-smi indices) the run may use, as CUDA_VISIBLE_DEVICES. */
  gpus: z.array(z.number().int().min(0).max(1023)).min(1).max(64).optional(),
  /** What to ask a SLURM cluster for (refused on workstations). */
  resources: RunResources.optional(),
  /** On a SLURM cluster: this many runs with the same parameters, submitted as one job array. */
  array: z.strictObject({ count: z.number().int().min(2).max(1000), throttle: z.number().int().min(1).max(1000).optional() }).optional(),
});
export type LaunchInput = z.input<typeof LaunchInput>;

export const RunRefInput = z.strictObject({ id: z.string().trim().min(1).max(64) });
export const ListRunsInput = z.strictObject({ project: z.string().trim().min(1).max(200).optional() });
export const RunLogsInput = z.strictObject({ id: z.string().trim().min(1).max(64), afterLine: z.number().int().min(0).optional(), limit: z.number().int().min(1).max(100_000).optional() });
export const LogLine = z.object({ n: z.number().int(), text: z.string() });
export const MetricPoint = z.object({ seq: z.number().int(), stream: z.string(), ts: z.number(), step: z.number().nullable(), kind: z.string(), name: z.string(), value: z.number().nullable() });
export type MetricPoint = z.infer<typeof MetricPoint>;
export const RunMetricsInput = z.strictObject({ id: z.string().trim().min(1).max(64), name: z.string().max(200).optional() });

export const RecipeInfo = z.object({
  name: z.string(),
  summary: z.string(),
  needs: z.string(),
  /** What a host's probe must show for the recipe to run: the lowest Python version, and packages its Python imports. */
  requires: z.object({ python: z.string().nullable(), packages: z.array(z.string()) }),
  /**
   * type: number, integer (a whole number), string, boolean, or one|of|these. A number's bounds as its schema
   * sets them (null: none; exclusive when the value itself is not allowed), so a form can say the rule in words.
   */
  params: z.array(
    z.object({
      name: z.string(),
      type: z.string(),
      default: z.unknown(),
      help: z.string(),
      min: z.number().nullable().optional(),
      max: z.number().nullable().optional(),
      minExclusive: z.boolean().optional(),
      maxExclusive: z.boolean().optional(),
    }),
  ),
});
export type RecipeInfo = z.infer<typeof RecipeInfo>;

export const MarkerOut = z.object({
  kind: z.enum(['nan_loss', 'loss_spike', 'cuda_oom', 'traceback', 'nccl_error', 'restart']),
  /** Where it was found; the other place is worked out from the log's clock (about a second's accuracy). */
  from: z.enum(['log', 'metrics']),
  line: z.number().int().nullable(),
  step: z.number().nullable(),
  detail: z.string(),
});
export type MarkerOut = z.infer<typeof MarkerOut>;

export const LogSearchInput = z.strictObject({
  query: z.string().trim().min(1, 'Give some words to search for.').max(500),
  run: z.string().trim().min(1).max(64).optional(),
  project: z.string().trim().min(1).max(200).optional(),
  limit: z.number().int().min(1).max(10_000).optional(),
});
export const LogHit = z.object({ runId: z.string(), n: z.number().int(), text: z.string() });

const ScoredCheckpoint = z.object({ step: z.number().nullable(), path: z.string(), value: z.number().nullable() });
export const RunCheckpoints = z.object({
  objective: Objective,
  checkpoints: z.array(ScoredCheckpoint),
  best: ScoredCheckpoint.nullable(),
});
