// Sweeps: a search over a recipe's parameters, run as ordinary (tagged) runs by a scheduler that lives
// on the host beside the trials. The file a user writes (YAML or JSON) has the shape of SweepSpec.
import { z } from 'zod';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const pair = (what: string) => z.tuple([finite, finite]).refine(([a, b]) => a < b, `${what}: the first bound must be below the second`);

/** One parameter's values: a fixed value, or a distribution to draw from. */
export const ParamSpace = z.union([
  z.strictObject({
    choice: z
      .array(z.union([z.string(), z.number(), z.boolean()]))
      .min(1)
      .max(1000),
  }),
  z.strictObject({ uniform: pair('uniform') }),
  z.strictObject({ loguniform: pair('loguniform').refine(([a]) => a > 0, 'loguniform: both bounds must be above 0') }),
  z.strictObject({ int: z.tuple([z.number().int(), z.number().int()]).refine(([a, b]) => a <= b, 'int: the first bound must not be above the second') }),
  z.union([z.string(), z.number(), z.boolean()]),
]);
export type ParamSpace = z.infer<typeof ParamSpace>;

export const SweepMethod = z.discriminatedUnion('name', [
  z.strictObject({ name: z.literal('grid') }),
  z.strictObject({ name: z.literal('random') }),
  z
    .strictObject({
      name: z.literal('asha'),
      /** Reduction factor: the top 1/eta of each rung goes on. */
      eta: z.number().int().min(2).max(100).default(3),
      min_resource: z.number().positive(),
      max_resource: z.number().positive(),
      /** What a rung is measured in: the run's step, or a metric the run logs (e.g. tokens). */
      resource: z.string().trim().min(1).max(100).default('step'),
      early_stop_rate: z.number().int().min(0).max(20).default(0),
    })
    .refine((m) => m.max_resource >= m.min_resource, { message: 'max_resource must be at least min_resource', path: ['max_resource'] }),
]);
export type SweepMethod = z.infer<typeof SweepMethod>;

const hostName = z.string().trim().min(1).max(200);

export const SweepSpec = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional(),
    project: z.string().trim().min(1).max(200),
    /** The one host the trials run on; its scheduler runs beside them and goes on while the app is closed. */
    host: hostName.optional(),
    /**
     * Several hosts: trials go to whichever has a free slot, and this app decides (no one host can run the
     * scheduler beside all of them), so the sweep waits while the app is closed. One name here is `host:`.
     */
    hosts: z
      .array(hostName)
      .min(1)
      .max(32)
      .refine((names) => new Set(names).size === names.length, 'names a host twice')
      .optional(),
    recipe: z.string().trim().min(1).max(100),
    /** A dataset file and a code folder on this machine, uploaded once for all trials (as for a launch). */
    dataset: z.string().max(4096).optional(),
    code: z.string().max(4096).optional(),
    method: SweepMethod,
    /** How many trials in all (grid: at most the grid's size; default the grid's size). */
    trials: z.number().int().min(1).max(1000).optional(),
    /** How many run at once. */
    concurrency: z.number().int().min(1).max(256).default(1),
    /** GPUs each trial gets (CUDA_VISIBLE_DEVICES); default 1 on a host with GPUs, 0 on one without. */
    gpus_per_trial: z.number().int().min(0).max(64).optional(),
    /** Allow several trials on one GPU (off: never two trials on one GPU). */
    share_gpus: z.boolean().default(false),
    /** Seed of the random draws (random and asha): the same seed draws the same trials. */
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .optional(),
    params: z.record(z.string().min(1).max(100), ParamSpace).default({}),
  })
  .refine((s) => (s.host === undefined) !== (s.hosts === undefined), {
    message: 'give either host (one host) or hosts (a list of hosts), not both and not neither',
    path: ['host'],
  });
export type SweepSpec = z.infer<typeof SweepSpec>;

/** The hosts a sweep file names, in its order. */
export const sweepHostNames = (spec: Pick<SweepSpec, 'host' | 'hosts'>): string[] => spec.hosts ?? (spec.host !== undefined ? [spec.host] : []);

/** Several hosts: the app drives the sweep (it waits while the app is closed); one: the host's scheduler does. */
export const SweepDriver = z.enum(['host', 'app']);
export type SweepDriver = z.infer<typeof SweepDriver>;
/** What a sweep the app drives says about itself (the CLI's `sweep show`, the sweep page). */
export const APP_DRIVEN_NOTE = 'driven by this app: it waits while the app is closed';
export const driverFor = (spec: Pick<SweepSpec, 'host' | 'hosts'>): SweepDriver => (sweepHostNames(spec).length > 1 ? 'app' : 'host');

export const SweepStatus = z.enum(['DRAFT', 'RUNNING', 'PAUSED', 'STOPPING', 'FINISHED', 'STOPPED', 'FAILED']);
export type SweepStatus = z.infer<typeof SweepStatus>;

/** One line of the scheduler's decision file, as stored. */
export const SweepDecision = z.object({
  seq: z.number().int(),
  ts: z.number(),
  action: z.string(),
  runId: z.string().nullable(),
  rung: z.number().int().nullable(),
  value: z.number().nullable(),
  cutoff: z.number().nullable(),
  reason: z.string(),
});
export type SweepDecision = z.infer<typeof SweepDecision>;

export const SweepTrial = z.object({
  index: z.number().int(),
  runId: z.string().nullable(),
  params: z.record(z.string(), z.unknown()),
  /** The last decision about it (started, continues, stopped at rung k ..., ended). */
  lastDecision: z.string().nullable(),
});
export type SweepTrial = z.infer<typeof SweepTrial>;

export const Sweep = z.object({
  id: z.string(),
  name: z.string(),
  projectId: z.string(),
  hostId: z.string(),
  /** Every host its trials may run on (one for a sweep its host's scheduler drives). */
  hostIds: z.array(z.string()),
  /** Who decides: the scheduler beside the trials on the one host, or this app (several hosts: it waits while the app is closed). */
  drivenBy: SweepDriver,
  recipe: z.string(),
  status: SweepStatus,
  spec: SweepSpec,
  trials: z.array(SweepTrial),
  /** The best trial so far by the project's objective (trials trained to the end first). */
  best: z.object({ runId: z.string(), value: z.number(), params: z.record(z.string(), z.unknown()) }).nullable(),
  remoteDir: z.string().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Sweep = z.infer<typeof Sweep>;

export const CreateSweepInput = z.strictObject({
  /** The sweep file's text (YAML or JSON) and its name, for error messages. */
  text: z
    .string()
    .min(1)
    .max(1024 * 1024),
  fileName: z.string().max(4096).default('sweep.yaml'),
});
export const SweepRefInput = z.strictObject({ sweep: z.string().trim().min(1).max(200) });
