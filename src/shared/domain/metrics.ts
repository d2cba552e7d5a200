// Metric series of a run and the window query every chart uses.
import { z } from 'zod';

export const SeriesSummary = z.object({
  name: z.string(),
  stream: z.string(),
  kind: z.string(),
  points: z.number().int(),
  min: z.number().nullable(),
  minStep: z.number().nullable(),
  max: z.number().nullable(),
  maxStep: z.number().nullable(),
  last: z.number().nullable(),
  lastStep: z.number().nullable(),
});
export type SeriesSummary = z.infer<typeof SeriesSummary>;

export const XAxis = z.enum(['step', 'time', 'index']);

export const WindowInput = z.strictObject({
  runId: z.string().trim().min(1).max(64),
  name: z.string().min(1).max(200),
  stream: z.enum(['metrics', 'sys']).optional(),
  x: XAxis.optional(),
  // A chart that lost track of its window once sent null here: say what to send instead.
  from: z.number({ error: 'the window\'s start must be a number (a step, a time in seconds or a rank); leave "from" out to start at the first point' }).finite().optional(),
  to: z.number({ error: 'the window\'s end must be a number (a step, a time in seconds or a rank); leave "to" out to end at the last point' }).finite().optional(),
  maxBuckets: z.number().int().min(1).max(20_000),
  /** Also answer the nearest point outside each end of the window, so a chart's lines reach its edges. */
  edges: z.boolean().optional(),
});

const Agg = {
  count: z.number().int(),
  n: z.number().int(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  sum: z.number(),
  first: z.number().nullable(),
  last: z.number().nullable(),
  firstStep: z.number().nullable(),
  lastStep: z.number().nullable(),
  firstTs: z.number(),
  lastTs: z.number(),
};

const Point = z.object({ idx: z.number().int(), step: z.number().nullable(), ts: z.number(), value: z.number().nullable() });
/** With `edges`: the nearest point before and after the window, where there is one. */
const Edges = { before: Point.optional(), after: Point.optional() };

export const WindowResult = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('points'), total: z.number().int(), points: z.array(Point), ...Edges }),
  z.object({ kind: z.literal('buckets'), total: z.number().int(), buckets: z.array(z.object({ ...Agg, firstIdx: z.number().int(), lastIdx: z.number().int() })), ...Edges }),
]);
export type WindowResult = z.infer<typeof WindowResult>;
