// Property: for random series (spikes, plateaus, gaps without values) ingested in random chunks,
// and random windows and budgets, every bucket's min, max, sum, count, first and last equal a
// brute-force scan of exactly the points it covers, and the buckets cover the window in order.
import { describe, expect, it } from 'vitest';
import { openEngine } from '../../src/main/app';
import { WindowQueries, type XAxis } from '../../src/main/metrics/window-query';
import { Ingestor } from '../../src/main/runs/ingest';
import { tempDir } from '../support/tunebench';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function makeSeries(rand: () => number, n: number): (number | null)[] {
  const values: (number | null)[] = [];
  let level = rand() * 10;
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.02)
      values.push(null); // a NaN the SDK wrote as text
    else if (r < 0.04)
      values.push(level + (rand() < 0.5 ? -1 : 1) * 1000 * rand()); // a one-point spike
    else if (r < 0.3)
      values.push(level); // plateau
    else {
      level += rand() - 0.5;
      values.push(level);
    }
  }
  return values;
}

describe('the window query', () => {
  it('returns exact buckets for random series, windows and budgets', () => {
    const rand = rng(12345);
    const engine = openEngine({ dataDir: tempDir() });
    const ingestor = new Ingestor(engine.db);
    const queries = new WindowQueries(engine.db);
    const project = engine.db.prepare("INSERT INTO projects (id, name, created_at, updated_at) VALUES ('01ARZ3NDEKTSV4RRFFQ69G5FAV', 'p', 0, 0)");
    project.run();
    const host = engine.db.prepare("SELECT id FROM hosts WHERE kind = 'local'").get() as { id: string };
    for (let s = 0; s < 12; s++) {
      const runId = `01ARZ3NDEKTSV4RRFFQ69G5F${String(s).padStart(2, '0')}`;
      engine.db
        .prepare("INSERT INTO runs (id, project_id, host_id, recipe, params, status, remote_dir, created_at) VALUES (?, '01ARZ3NDEKTSV4RRFFQ69G5FAV', ?, 'custom', '{}', 'RUNNING', '/x', 0)")
        .run(runId, host.id);
      const n = [1, 2, 15, 16, 17, 255, 256, 257, 4097, 5000, 20000, 70000][s]!;
      const values = makeSeries(rand, n);
      const text = values.map((v, i) => JSON.stringify({ seq: i + 1, ts: 1000 + i * 0.5, step: i * 2, m: { loss: v === null ? 'nan' : v } })).join('\n') + '\n';
      // Ingest in random chunk sizes so buckets are merged across batches.
      const buf = Buffer.from(text);
      let cursor = ingestor.startEpoch(runId, 'metrics.jsonl', 'f', undefined);
      while (cursor.offset < buf.length) {
        const len = 1 + Math.floor(rand() * 200_000);
        const chunk = buf.subarray(cursor.offset, cursor.offset + len);
        const r = ingestor.store(runId, 'metrics.jsonl', 'metrics', cursor, chunk, false);
        if (r.next.offset === cursor.offset) cursor = ingestor.store(runId, 'metrics.jsonl', 'metrics', cursor, buf.subarray(cursor.offset), false).next;
        else cursor = r.next;
      }
      const seriesId = (engine.db.prepare('SELECT id FROM metric_series WHERE run_id = ?').get(runId) as { id: number }).id;
      for (let trial = 0; trial < 25; trial++) {
        const axis: XAxis = (['step', 'time', 'index'] as const)[trial % 3]!;
        const xOf = (i: number) => (axis === 'step' ? i * 2 : axis === 'time' ? 1000 + i * 0.5 : i);
        const i0 = Math.floor(rand() * n);
        const i1 = Math.min(n - 1, i0 + Math.floor(rand() * n));
        const open = rand() < 0.2;
        const from = open ? undefined : xOf(i0) - (axis === 'index' ? 0 : rand() * 0.4);
        const to = open ? undefined : xOf(i1) + (axis === 'index' ? 0 : rand() * 0.4);
        const maxBuckets = [1, 2, 3, 7, 50, 500, 2000][Math.floor(rand() * 7)]!;
        const lo = from === undefined ? 0 : i0;
        const hi = to === undefined ? n - 1 : i1;
        const result = queries.run({ seriesId, x: axis, from, to, maxBuckets });
        expect(result.total).toBe(n);
        if (result.kind === 'points') {
          expect(result.points.map((p) => p.idx)).toEqual(Array.from({ length: hi - lo + 1 }, (_, k) => lo + k));
          expect(result.points.map((p) => p.value)).toEqual(values.slice(lo, hi + 1));
          expect(hi - lo + 1).toBeLessThanOrEqual(maxBuckets);
          continue;
        }
        expect(result.buckets.length).toBeLessThanOrEqual(maxBuckets);
        // ... and uses the budget: a chart of 2,000 buckets must not get 20.
        expect(result.buckets.length).toBeGreaterThanOrEqual(Math.floor((maxBuckets - 2) / 2));
        let expectStart = lo;
        for (const bucket of result.buckets) {
          expect(bucket.firstIdx).toBe(expectStart);
          const covered = values.slice(bucket.firstIdx, bucket.lastIdx + 1);
          const finite = covered.filter((v): v is number => v !== null);
          expect(bucket.count).toBe(covered.length);
          expect(bucket.n).toBe(finite.length);
          expect(bucket.min).toBe(finite.length ? Math.min(...finite) : null);
          expect(bucket.max).toBe(finite.length ? Math.max(...finite) : null);
          expect(bucket.sum).toBeCloseTo(
            finite.reduce((s2, v) => s2 + v, 0),
            6,
          );
          expect(bucket.first).toBe(covered[0]);
          expect(bucket.last).toBe(covered[covered.length - 1]);
          expect(bucket.firstStep).toBe(bucket.firstIdx * 2);
          expect(bucket.lastStep).toBe(bucket.lastIdx * 2);
          expectStart = bucket.lastIdx + 1;
        }
        expect(expectStart - 1).toBe(hi);
      }
    }
    engine.close();
  }, 120_000);

  it('finds the window on uneven axes (plateaus, jumps, repeated steps) as a scan would', () => {
    const rand = rng(777);
    const engine = openEngine({ dataDir: tempDir() });
    const ingestor = new Ingestor(engine.db);
    const queries = new WindowQueries(engine.db);
    engine.db.prepare("INSERT INTO projects (id, name, created_at, updated_at) VALUES ('01ARZ3NDEKTSV4RRFFQ69G5FAV', 'p', 0, 0)").run();
    const host = engine.db.prepare("SELECT id FROM hosts WHERE kind = 'local'").get() as { id: string };
    const runId = '01ARZ3NDEKTSV4RRFFQ69G5F99';
    engine.db
      .prepare("INSERT INTO runs (id, project_id, host_id, recipe, params, status, remote_dir, created_at) VALUES (?, '01ARZ3NDEKTSV4RRFFQ69G5FAV', ?, 'custom', '{}', 'RUNNING', '/x', 0)")
      .run(runId, host.id);
    // Steps that repeat, jump by 10,000 once, and grow quadratically after; time with long pauses.
    const n = 20_000;
    const steps = Array.from({ length: n }, (_, i) => (i < 5000 ? Math.floor(i / 7) : i < 12_000 ? 10_000 + i : 10_000 + 12_000 + (i - 12_000) ** 2));
    const times = Array.from({ length: n }, (_, i) => 1000 + i + (i > 8000 ? 50_000 : 0) + (i > 15_000 ? (i - 15_000) * 3 : 0));
    const text = steps.map((step, i) => JSON.stringify({ seq: i + 1, ts: times[i], step, m: { loss: i } })).join('\n') + '\n';
    ingestor.store(runId, 'metrics.jsonl', 'metrics', ingestor.startEpoch(runId, 'metrics.jsonl', 'f', undefined), Buffer.from(text), false);
    const seriesId = (engine.db.prepare('SELECT id FROM metric_series WHERE run_id = ?').get(runId) as { id: number }).id;
    for (let trial = 0; trial < 300; trial++) {
      const axis = trial % 2 === 0 ? 'step' : 'time';
      const xs = axis === 'step' ? steps : times;
      const pick = () => (rand() < 0.5 ? xs[Math.floor(rand() * n)]! : xs[0]! + rand() * (xs[n - 1]! - xs[0]!)) + (rand() < 0.3 ? 0.5 : 0);
      const [from, to] = [pick(), pick()].sort((p, q) => p - q) as [number, number];
      const first = xs.findIndex((x) => x >= from);
      const after = xs.findIndex((x) => x > to);
      const [lo, hi] = [first === -1 ? n : first, (after === -1 ? n : after) - 1];
      const result = queries.run({ seriesId, x: axis, from, to, maxBuckets: 100_000 });
      if (result.kind !== 'points') throw new Error('expected raw points');
      expect(result.points.length, `${axis} [${from}, ${to}]`).toBe(Math.max(0, hi - lo + 1));
      if (hi >= lo) expect([result.points[0]!.idx, result.points.at(-1)!.idx]).toEqual([lo, hi]);
    }
    // Steps so far apart that the search's interpolation overflows: it bisects instead.
    const huge = '01ARZ3NDEKTSV4RRFFQ69G5F98';
    engine.db
      .prepare("INSERT INTO runs (id, project_id, host_id, recipe, params, status, remote_dir, created_at) VALUES (?, '01ARZ3NDEKTSV4RRFFQ69G5FAV', ?, 'custom', '{}', 'RUNNING', '/x', 0)")
      .run(huge, host.id);
    const far = [-1e308, 1e308, 1e308].map((step, i) => JSON.stringify({ seq: i + 1, ts: i, step, m: { loss: i } })).join('\n') + '\n';
    ingestor.store(huge, 'metrics.jsonl', 'metrics', ingestor.startEpoch(huge, 'metrics.jsonl', 'f', undefined), Buffer.from(far), false);
    const farId = (engine.db.prepare('SELECT id FROM metric_series WHERE run_id = ?').get(huge) as { id: number }).id;
    const farResult = queries.run({ seriesId: farId, x: 'step', from: 1e308, maxBuckets: 10 });
    expect(farResult.kind === 'points' && farResult.points.map((p) => p.idx)).toEqual([1, 2]);
    engine.close();
  });

  it('answers an empty window with no points and an unknown series with nothing', () => {
    const engine = openEngine({ dataDir: tempDir() });
    const queries = new WindowQueries(engine.db);
    expect(queries.run({ seriesId: 999, x: 'step', maxBuckets: 100 })).toEqual({ kind: 'points', total: 0, points: [] });
    engine.close();
  });
});
