// Pyramid upkeep: the buckets a batch of new points touches are summed in memory, then merged into
// SQLite once per bucket per batch, so the pyramid costs a few percent of the point inserts.
import type Database from 'better-sqlite3';

/**
 * Points per bucket at each level: 16 at level 1 (so upkeep writes ~8% more rows than the points
 * themselves), then 4x per level, up to 16.7M at level 11. A factor of 4 between levels keeps a
 * query within 4x of its bucket budget in rows read, whatever the zoom.
 */
export const LEVEL_SIZES: readonly number[] = [1, ...Array.from({ length: 11 }, (_, l) => 16 * 4 ** l)];
export const LEVELS = LEVEL_SIZES.length - 1;

export interface Agg {
  count: number;
  n: number;
  min: number | null;
  max: number | null;
  sum: number;
  first: number | null;
  last: number | null;
  firstStep: number | null;
  lastStep: number | null;
  firstTs: number;
  lastTs: number;
}

export function newAgg(value: number | null, step: number | null, ts: number): Agg {
  return { count: 1, n: value === null ? 0 : 1, min: value, max: value, sum: value ?? 0, first: value, last: value, firstStep: step, lastStep: step, firstTs: ts, lastTs: ts };
}

/** Appends b (which follows a) into a. */
export function mergeInto(a: Agg, b: Agg): void {
  a.count += b.count;
  a.n += b.n;
  if (b.min !== null && (a.min === null || b.min < a.min)) a.min = b.min;
  if (b.max !== null && (a.max === null || b.max > a.max)) a.max = b.max;
  a.sum += b.sum;
  a.last = b.last;
  a.lastStep = b.lastStep;
  a.lastTs = b.lastTs;
}

interface Entry {
  seriesId: number;
  level: number;
  bucket: number;
  agg: Agg;
}

export class PyramidBatch {
  /** Per series: the bucket still filling at each level, and the ones this batch closed. */
  private readonly series = new Map<number, { open: (Entry | undefined)[]; closed: Entry[] }>();
  private readonly upsert;

  constructor(db: Database.Database) {
    this.upsert = db.prepare(`
      INSERT INTO metric_buckets (series_id, level, bucket, count, n, min, max, sum, first, last, first_step, last_step, first_ts, last_ts)
      VALUES (@seriesId, @level, @bucket, @count, @n, @min, @max, @sum, @first, @last, @firstStep, @lastStep, @firstTs, @lastTs)
      ON CONFLICT (series_id, level, bucket) DO UPDATE SET
        count = count + excluded.count,
        n = n + excluded.n,
        min = CASE WHEN min IS NULL THEN excluded.min WHEN excluded.min IS NULL THEN min ELSE min(min, excluded.min) END,
        max = CASE WHEN max IS NULL THEN excluded.max WHEN excluded.max IS NULL THEN max ELSE max(max, excluded.max) END,
        sum = sum + excluded.sum,
        last = excluded.last,
        last_step = excluded.last_step,
        last_ts = excluded.last_ts`);
  }

  /** A point appended at rank idx of its series. A series' points must come in idx order. */
  add(seriesId: number, idx: number, value: number | null, step: number | null, ts: number): void {
    let state = this.series.get(seriesId);
    if (!state) this.series.set(seriesId, (state = { open: [], closed: [] }));
    for (let level = 1; level <= LEVELS; level++) {
      const bucket = Math.floor(idx / LEVEL_SIZES[level]!);
      const open = state.open[level];
      if (open && open.bucket === bucket) {
        const a = open.agg;
        a.count++;
        if (value !== null) {
          a.n++;
          a.sum += value;
          if (a.min === null || value < a.min) a.min = value;
          if (a.max === null || value > a.max) a.max = value;
        }
        a.last = value;
        a.lastStep = step;
        a.lastTs = ts;
      } else {
        if (open) state.closed.push(open);
        state.open[level] = { seriesId, level, bucket, agg: newAgg(value, step, ts) };
      }
    }
  }

  /** Writes the batch; call inside the ingest transaction. */
  flush(): void {
    for (const { open, closed } of this.series.values()) {
      for (const e of closed) this.upsert.run({ seriesId: e.seriesId, level: e.level, bucket: e.bucket, ...e.agg });
      for (const e of open) if (e) this.upsert.run({ seriesId: e.seriesId, level: e.level, bucket: e.bucket, ...e.agg });
    }
    this.series.clear();
  }

  clear(): void {
    this.series.clear();
  }
}
