// Continuous training: a project's datasets with versions, and triggers (a new version, a schedule, by
// hand) that re-run the project's saved recipe on new data, test the result against production with the
// project's pinned suite, and propose it as the candidate on a PASS. Nothing is approved or pushed here.
import { z } from 'zod';

const Ref = z.string().trim().min(1).max(200);

export const DatasetVersion = z.object({
  id: z.string(),
  datasetId: z.string(),
  version: z.number().int(),
  sha256: z.string(),
  bytes: z.number(),
  lines: z.number().int(),
  /** The first lines (at most 2 KB), for a look before training on it. */
  preview: z.string(),
  /** Where the file was read from; the version itself is kept in the data directory. */
  source: z.string(),
  createdAt: z.number(),
});
export type DatasetVersion = z.infer<typeof DatasetVersion>;

export const Dataset = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  latest: DatasetVersion.nullable(),
  versions: z.number().int(),
  /** A file on a host watched by digest: each new content becomes the next version. */
  watch: z.object({ hostId: z.string(), path: z.string(), error: z.string().nullable() }).nullable(),
  createdAt: z.number(),
});
export type Dataset = z.infer<typeof Dataset>;

export const WatchDatasetInput = z.strictObject({
  project: Ref,
  name: z.string().trim().min(1).max(100),
  host: Ref,
  /** The file's absolute path on the host. */
  path: z.string().trim().min(1).max(4096).startsWith('/', 'Give the absolute path of the file on the host.'),
});

export const AddDatasetInput = z.strictObject({
  project: Ref,
  name: z.string().trim().min(1).max(100),
  /** A file this machine can read. */
  file: z.string().trim().min(1).max(4096),
});

export const TriggerKind = z.enum(['dataset', 'schedule', 'manual']);
export type TriggerKind = z.infer<typeof TriggerKind>;

export const Trigger = z.object({
  id: z.string(),
  projectId: z.string(),
  kind: TriggerKind,
  /** Which dataset it trains on (its newest version); for kind dataset, also whose new versions fire it. */
  datasetId: z.string().nullable(),
  datasetName: z.string().nullable(),
  /** kind schedule: a cron expression (minute hour day month weekday), in this machine's time zone. */
  schedule: z.string().nullable(),
  /** The host the training runs on. */
  hostId: z.string(),
  hostName: z.string(),
  enabled: z.boolean(),
  /** The last schedule window that fired (a schedule missed while the app was closed fires once). */
  lastWindowAt: z.number().nullable(),
  createdAt: z.number(),
});
export type Trigger = z.infer<typeof Trigger>;

export const AddTriggerInput = z
  .strictObject({
    project: Ref,
    kind: TriggerKind,
    dataset: z.string().trim().min(1).max(100).optional(),
    schedule: z.string().trim().min(1).max(200).optional(),
    host: Ref,
  })
  .refine((t) => t.kind !== 'dataset' || t.dataset, { message: 'A dataset trigger names its dataset.', path: ['dataset'] })
  .refine((t) => t.kind !== 'schedule' || t.schedule, { message: 'A schedule trigger has a cron schedule, e.g. "0 3 * * *".', path: ['schedule'] });

/** What a firing is doing, in order: waiting its turn, training, testing, then how it ended. */
export const FiringStatus = z.enum(['QUEUED', 'TRAINING', 'TESTING', 'PROPOSED', 'NOT_PROPOSED', 'FAILED', 'COLLAPSED', 'SKIPPED']);
export type FiringStatus = z.infer<typeof FiringStatus>;

export const Firing = z.object({
  id: z.string(),
  triggerId: z.string(),
  projectId: z.string(),
  status: FiringStatus,
  /** Why it fired ("new version 3 of train (sha256 ab12…)", "schedule 0 3 * * *: the 03:00 window", "by hand"). */
  reason: z.string(),
  datasetVersionId: z.string().nullable(),
  runId: z.string().nullable(),
  testId: z.string().nullable(),
  /** What happened, in words (the verdict, why it failed, which firing it collapsed into). */
  detail: z.string().nullable(),
  firedAt: z.number(),
  updatedAt: z.number(),
});
export type Firing = z.infer<typeof Firing>;
