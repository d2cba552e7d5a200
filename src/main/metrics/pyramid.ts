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
  level: number;
  bucket: number;
  agg: Agg;
}

/**
 * Per series in this batch: the bucket still filling at each level, and the closed ones to write.
 * Only level 1 sees every point; a level-1 bucket is merged into level 2 when it closes, and so
 * on up (levels nest: 4 buckets of a level make one of the next), so upkeep costs about one
 * aggregate update per point instead of one per level.
 */
interface SeriesBatch {
  seriesId: number;
  open: (Entry | undefined)[];
  closed: Entry[];
}

const ROWS_PER_UPSERT = 32;
const COLUMNS = 14;

export class PyramidBatch {
  private readonly series = new Map<number, SeriesBatch>();
  /** The series of the last point added: points of one series mostly come in a row. */
  private last: SeriesBatch | undefined;
  private readonly upsert;

  private readonly upsertMany;

  constructor(db: Database.Database) {
    // Buckets are written 32 to a statement when there are that many: upkeep for 1M points measured
    // 193-200 ms against 233-243 ms at one row per call. Rows of one statement are applied in order,
    // so a bucket that is already stored is merged exactly as by single-row upserts.
    const upsert = (rows: number) => `
      INSERT INTO metric_buckets (series_id, level, bucket, count, n, min, max, sum, first, last, first_step, last_step, first_ts, last_ts)
      VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
      ON CONFLICT (series_id, level, bucket) DO UPDATE SET
        count = count + excluded.count,
        n = n + excluded.n,
        min = CASE WHEN min IS NULL THEN excluded.min WHEN excluded.min IS NULL THEN min ELSE min(min, excluded.min) END,
        max = CASE WHEN max IS NULL THEN excluded.max WHEN excluded.max IS NULL THEN max ELSE max(max, excluded.max) END,
        sum = sum + excluded.sum,
        last = excluded.last,
        last_step = excluded.last_step,
        last_ts = excluded.last_ts`;
    this.upsert = db.prepare(upsert(1));
    this.upsertMany = db.prepare(upsert(ROWS_PER_UPSERT));
  }

  /** A point appended at rank idx of its series. A series' points must come in idx order. */
  add(seriesId: number, idx: number, value: number | null, step: number | null, ts: number): void {
    let batch = this.last?.seriesId === seriesId ? this.last : this.series.get(seriesId);
    if (!batch) this.series.set(seriesId, (batch = { seriesId, open: [], closed: [] }));
    this.last = batch;
    const bucket = Math.floor(idx / LEVEL_SIZES[1]!);
    const open = batch.open[1];
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
      if (open) this.close(batch, open);
      batch.open[1] = { level: 1, bucket, agg: newAgg(value, step, ts) };
    }
  }

  /** A bucket is complete for this batch: keep it to write, and fold it into its parent. */
  private close(batch: SeriesBatch, entry: Entry): void {
    batch.closed.push(entry);
    this.foldUp(batch, entry);
  }

  private foldUp(batch: SeriesBatch, entry: Entry): void {
    const level = entry.level + 1;
    if (level > LEVELS) return;
    const bucket = Math.floor((entry.bucket * LEVEL_SIZES[entry.level]!) / LEVEL_SIZES[level]!);
    const parent = batch.open[level];
    if (parent && parent.bucket === bucket) mergeInto(parent.agg, entry.agg);
    else {
      if (parent) this.close(batch, parent);
      batch.open[level] = { level, bucket, agg: { ...entry.agg } };
    }
  }

  /** Writes the batch; call inside the ingest transaction. */
  flush(): void {
    const rows: (number | null)[] = [];
    for (const batch of this.series.values()) {
      // The buckets still filling hold this batch's newest points: fold them up, lowest level first.
      for (let level = 1; level <= LEVELS; level++) {
        const open = batch.open[level];
        if (!open) continue;
        batch.closed.push(open);
        batch.open[level] = undefined;
        this.foldUp(batch, open);
      }
      for (const { level, bucket, agg: a } of batch.closed) {
        rows.push(batch.seriesId, level, bucket, a.count, a.n, a.min, a.max, a.sum, a.first, a.last, a.firstStep, a.lastStep, a.firstTs, a.lastTs);
        if (rows.length === ROWS_PER_UPSERT * COLUMNS) {
          this.upsertMany.run(rows);
          rows.length = 0;
        }
      }
    }
    for (let i = 0; i < rows.length; i += COLUMNS) this.upsert.run(rows.slice(i, i + COLUMNS));
    this.clear();
  }

  clear(): void {
    this.series.clear();
    this.last = undefined;
  }
}
