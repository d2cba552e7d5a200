// The runs table: rows with parameters, tags and metric summaries; filtered, sorted, paged by the engine.
import { z } from 'zod';
import { Run } from './run';

/** A row: the run's own fields (from Run, not written again here) with its project's name, tags, notes and metric summaries. */
export const TableRowOut = Run.pick({
  id: true,
  name: true,
  projectId: true,
  status: true,
  recipe: true,
  hostName: true,
  createdAt: true,
  endedAt: true,
  exitCode: true,
  disconnected: true,
  params: true,
}).extend({
  projectName: z.string(),
  tags: z.array(z.string()),
  notes: z.string(),
  summaries: z.record(z.string(), z.object({ min: z.number().nullable(), max: z.number().nullable(), last: z.number().nullable() })),
});
export type TableRowOut = z.infer<typeof TableRowOut>;

export const RunsTableInput = z.strictObject({
  project: z.string().trim().min(1).max(200).optional(),
  filter: z.string().max(2000).optional(),
  /**
   * Only these runs (with the filter, when one is given too). Compare asks for the runs it shows by id:
   * a filter naming 60 ids passed the filter's 2,000 characters.
   */
  ids: z.array(z.string().trim().min(1).max(64)).max(1000).optional(),
  sort: z.strictObject({ key: z.string().min(1).max(200), dir: z.enum(['asc', 'desc']) }).optional(),
  offset: z.number().int().min(0).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
});

export const RunsTableResult = z.object({
  total: z.number().int(),
  matched: z.number().int(),
  rows: z.array(TableRowOut),
  params: z.array(z.string()),
  metrics: z.array(z.string()),
  /**
   * Columns worth showing by default: the fields (recipe, host, project) and parameters (as params.NAME)
   * whose values differ among the matched runs and that at least half of them have, most common first.
   */
  varies: z.array(z.string()),
});
export type RunsTableResult = z.infer<typeof RunsTableResult>;

export const AnnotateRunInput = z.strictObject({
  id: z.string().trim().min(1).max(64),
  tags: z
    .array(
      z
        .string()
        .trim()
        .min(1)
        .max(50)
        .regex(/^[\w.:-]+$/, 'Tags use letters, digits, ".", ":", "_" and "-".'),
    )
    .max(20)
    .optional(),
  notes: z.string().max(10_000).optional(),
  /** The run's human-readable name (`tunebench run rename RUN NAME`). */
  name: z.string().trim().min(1, "A run's name cannot be empty.").max(100, 'A run name has at most 100 characters.').optional(),
});

/** What a run's annotations are after a change. */
export const RunAnnotations = z.object({ id: z.string(), name: z.string(), tags: z.array(z.string()), notes: z.string() });
