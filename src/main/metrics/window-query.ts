// One query for every chart: a series, an x window and a bucket budget in; either the raw points
// (when the window holds no more than the budget) or buckets with the exact min and max of the
// points each covers, so a one-point spike shows at any zoom. Cost: the budget, not the run's length.
import type Database from 'better-sqlite3';
import type { WindowResult, XAxis as XAxisSchema } from '../../shared/domain/metrics';
import { LEVEL_SIZES, LEVELS, mergeInto, newAgg, type Agg } from './pyramid';

// The shapes the contract sends (src/shared/domain/metrics.ts), not a second copy of them.
export type XAxis = (typeof XAxisSchema)['options'][number];
type RawPoint = Extract<WindowResult, { kind: 'points' }>['points'][number];
/** Exact aggregates of points firstIdx..lastIdx (their ranks). */
type Bucket = Extract<WindowResult, { kind: 'buckets' }>['buckets'][number];

export interface WindowQuery {
  seriesId: number;
  x: XAxis;
  /** Inclusive window on the chosen axis; open ends when absent. */
  from?: number;
  to?: number;
  maxBuckets: number;
  /** Also return the nearest point before and after the window (a chart draws its lines to its edges with them). */
  edges?: boolean;
}

/** bucket, count, n, min, max, sum, first, last, first_step, last_step, first_ts, last_ts */
type BucketTuple = [number, number, number, number | null, number | null, number, number | null, number | null, number | null, number | null, number, number];

export class WindowQueries {
  private readonly stmts;

  constructor(db: Database.Database) {
    this.stmts = {
      total: db.prepare<[number], { points: number }>('SELECT points FROM metric_series WHERE id = ?'),
      pointAt: db.prepare<[number, number], { step: number | null; ts: number }>('SELECT step, ts FROM metric_points WHERE series_id = ? AND idx = ?'),
      points: db.prepare<[number, number, number], RawPoint>('SELECT idx, step, ts, value FROM metric_points WHERE series_id = ? AND idx BETWEEN ? AND ? ORDER BY idx'),
      // Rows as arrays: a zoom reads thousands of them, and objects per row cost more than the SQL.
      buckets: db
        .prepare<[number, number, number, number], BucketTuple>(
          'SELECT bucket, count, n, min, max, sum, first, last, first_step, last_step, first_ts, last_ts FROM metric_buckets WHERE series_id = ? AND level = ? AND bucket BETWEEN ? AND ? ORDER BY bucket',
        )
        .raw(true),
    };
  }

  private xAt(seriesId: number, idx: number, x: XAxis): number {
    if (x === 'index') return idx;
    const p = this.stmts.pointAt.get(seriesId, idx)!;
    return x === 'time' ? p.ts : (p.step ?? idx);
  }

  /**
   * The first rank whose x is past v (x >= v, or x > v when `strict`), or total if none; x must not
   * decrease along the series (steps and time don't). Steps and time mostly rise evenly, so each
   * probe guesses where v falls between the ranks known on either side: 3-5 probes instead of
   * bisection's 17 for 100,000 points. A guess that fails to halve the range is followed by a
   * bisection, so uneven series still take at most about twice bisection's probes.
   */
  private search(seriesId: number, total: number, x: XAxis, v: number, strict: boolean): number {
    let lo = 0; // ranks below lo are not past v
    let hi = total; // ranks from hi on are past v
    let xLo: number | undefined; // x at rank lo - 1, once probed
    let xHi: number | undefined; // x at rank hi, once probed
    let bisect = false;
    while (lo < hi) {
      // Where v falls between the two ranks known on either side; not finite when x is flat there
      // (or so large that the fraction overflows): then bisect, as after a guess that failed.
      const fraction = xLo === undefined || xHi === undefined ? NaN : (v - xLo) / (xHi - xLo);
      const guessed: boolean = !bisect && Number.isFinite(fraction);
      let mid: number;
      if (xLo === undefined)
        mid = lo; // the ends first
      else if (xHi === undefined) mid = hi - 1;
      else if (guessed) mid = Math.min(hi - 1, Math.max(lo, lo - 1 + Math.ceil(fraction * (hi - lo + 1))));
      else mid = (lo + hi) >>> 1;
      const before = hi - lo;
      const xm = this.xAt(seriesId, mid, x);
      if (strict ? xm > v : xm >= v) [hi, xHi] = [mid, xm];
      else [lo, xLo] = [mid + 1, xm];
      bisect = guessed && hi - lo > before / 2;
    }
    return lo;
  }

  /** The rank of the first point whose x is past v (x >= v, or x > v when strict); the point count if none. */
  firstPast(seriesId: number, x: XAxis, v: number, strict: boolean): number {
    return this.search(seriesId, this.stmts.total.get(seriesId)?.points ?? 0, x, v, strict);
  }

  /** The step (or rank, when it logged none) and time of the point at a rank. */
  pointAt(seriesId: number, idx: number): { step: number; ts: number } | undefined {
    const p = this.stmts.pointAt.get(seriesId, idx);
    return p && { step: p.step ?? idx, ts: p.ts };
  }

  run(q: WindowQuery): WindowResult {
    const total = this.stmts.total.get(q.seriesId)?.points ?? 0;
    const a = q.from === undefined ? 0 : this.search(q.seriesId, total, q.x, q.from, false);
    const b = (q.to === undefined ? total : this.search(q.seriesId, total, q.x, q.to, true)) - 1;
    const edges = q.edges ? this.edges(q.seriesId, a, b, total) : {};
    if (b < a) return { kind: 'points', total, points: [], ...edges };
    const count = b - a + 1;
    if (count <= q.maxBuckets) return { kind: 'points', total, points: this.stmts.points.all(q.seriesId, a, b), ...edges };
    // Points per output bucket, leaving room for the uneven first and last bucket.
    const width = Math.ceil(count / Math.max(1, q.maxBuckets - 2));
    let level = 0;
    while (level < LEVELS && LEVEL_SIZES[level + 1]! <= width) level++;
    // Output buckets hold ceil(width / size) pieces of this level; when that is 4, they are exactly
    // one piece of the next level up (4x the size): the same resolution from 4x fewer rows (turning
    // a row into JavaScript values is most of a query's cost, ~2 us a row).
    if (level < LEVELS && Math.ceil(width / LEVEL_SIZES[level]!) * LEVEL_SIZES[level]! === LEVEL_SIZES[level + 1]) level++;
    return { kind: 'buckets', total, buckets: this.group(q.seriesId, a, b, level, width), ...edges };
  }

  /** The points just outside ranks a..b: rank a - 1 and rank b + 1, where they exist. */
  private edges(seriesId: number, a: number, b: number, total: number): { before?: RawPoint; after?: RawPoint } {
    const before = a > 0 ? this.stmts.points.get(seriesId, a - 1, a - 1) : undefined;
    const after = b + 1 < total ? this.stmts.points.get(seriesId, b + 1, b + 1) : undefined;
    return { ...(before ? { before } : {}), ...(after ? { after } : {}) };
  }

  /**
   * Covers [a, b] with pyramid pieces no larger than level `top` (raw points at the ragged edges,
   * finer buckets near them, level-`top` buckets inside), then groups consecutive pieces into output
   * buckets of about `width` points. Every piece is exact, so every output bucket is exact.
   */
  private group(seriesId: number, a: number, b: number, top: number, width: number): Bucket[] {
    const out: Bucket[] = [];
    let current: Bucket | undefined;
    const take = (agg: Agg, firstIdx: number, lastIdx: number) => {
      if (!current) current = { ...agg, firstIdx, lastIdx };
      else {
        mergeInto(current, agg);
        current.lastIdx = lastIdx;
      }
      if (current.count >= width) {
        out.push(current);
        current = undefined;
      }
    };
    let p = a;
    while (p <= b) {
      // The largest aligned piece that starts at p and fits in [p, b], up to level `top`.
      let level = 0;
      while (level < top && p % LEVEL_SIZES[level + 1]! === 0 && p + LEVEL_SIZES[level + 1]! - 1 <= b) level++;
      const size = LEVEL_SIZES[level]!;
      if (level === 0) {
        // A run of raw points up to the next level-1 boundary (or b).
        const next = LEVEL_SIZES[1]!;
        const end = top === 0 ? b : Math.min(b, (Math.floor(p / next) + 1) * next - 1);
        for (const pt of this.stmts.points.all(seriesId, p, end)) take(newAgg(pt.value, pt.step, pt.ts), pt.idx, pt.idx);
        p = end + 1;
        continue;
      }
      // A run of whole buckets at this level: as many as fit before b and, below the top level,
      // before the next boundary of the level above.
      const first = p / size;
      let last = Math.floor((b + 1) / size) - 1;
      if (level < top) {
        const parent = LEVEL_SIZES[level + 1]!;
        last = Math.min(last, ((Math.floor(p / parent) + 1) * parent) / size - 1);
      }
      // The same merge as take(), written out on the row arrays: routing these rows through take()
      // measured 1.4-2x slower in interleaved runs on a 1.3M-point window (e.g. 16 ms against 9 ms).
      for (const r of this.stmts.buckets.all(seriesId, level, first, last) as unknown as BucketTuple[]) {
        const firstIdx = r[0] * size;
        const lastIdx = firstIdx + size - 1;
        if (!current) {
          current = { count: r[1], n: r[2], min: r[3], max: r[4], sum: r[5], first: r[6], last: r[7], firstStep: r[8], lastStep: r[9], firstTs: r[10], lastTs: r[11], firstIdx, lastIdx };
        } else {
          current.count += r[1];
          current.n += r[2];
          if (r[3] !== null && (current.min === null || r[3] < current.min)) current.min = r[3];
          if (r[4] !== null && (current.max === null || r[4] > current.max)) current.max = r[4];
          current.sum += r[5];
          current.last = r[7];
          current.lastStep = r[9];
          current.lastTs = r[11];
          current.lastIdx = lastIdx;
        }
        if (current.count >= width) {
          out.push(current);
          current = undefined;
        }
      }
      p = (last + 1) * size;
    }
    if (current) out.push(current);
    return out;
  }
}
