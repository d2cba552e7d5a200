// The window query's `edges`: besides exactly the window, the nearest point outside each end, so a
// chart draws its lines to the axis' ends (no blank strip at a deep zoom) without asking for more.
import { describe, expect, it } from 'vitest';
import { openEngine } from '../../src/main/app';
import { WindowQueries } from '../../src/main/metrics/window-query';
import { Ingestor } from '../../src/main/runs/ingest';
import { tempDir } from '../support/tunebench';

describe('the window query with edges', () => {
  it('answers the points inside the window, and the one just before and just after it', () => {
    const engine = openEngine({ dataDir: tempDir() });
    const runId = '01ARZ3NDEKTSV4RRFFQ69G5F01';
    engine.db.prepare("INSERT INTO projects (id, name, created_at, updated_at) VALUES ('01ARZ3NDEKTSV4RRFFQ69G5FAV', 'p', 0, 0)").run();
    const host = engine.db.prepare("SELECT id FROM hosts WHERE kind = 'local'").get() as { id: string };
    engine.db
      .prepare("INSERT INTO runs (id, project_id, host_id, recipe, params, status, remote_dir, created_at) VALUES (?, '01ARZ3NDEKTSV4RRFFQ69G5FAV', ?, 'custom', '{}', 'RUNNING', '/x', 0)")
      .run(runId, host.id);
    const n = 5000;
    const text = Array.from({ length: n }, (_, i) => JSON.stringify({ seq: i + 1, ts: 1000 + i, step: i * 10, m: { loss: i } })).join('\n') + '\n';
    const ingestor = new Ingestor(engine.db);
    ingestor.store(runId, 'metrics.jsonl', 'metrics', ingestor.startEpoch(runId, 'metrics.jsonl', 'f', undefined), Buffer.from(text), false);
    const seriesId = (engine.db.prepare('SELECT id FROM metric_series WHERE run_id = ?').get(runId) as { id: number }).id;
    const queries = new WindowQueries(engine.db);

    // A window between steps: points 11..20 (steps 110..200), edges 10 and 21.
    const few = queries.run({ seriesId, x: 'step', from: 105, to: 205, maxBuckets: 800, edges: true });
    expect(few.kind).toBe('points');
    expect(few.kind === 'points' && few.points.map((p) => p.idx)).toEqual(Array.from({ length: 10 }, (_, k) => 11 + k));
    expect([few.before?.step, few.after?.step]).toEqual([100, 210]);
    // Buckets too; an empty window (between two points) still has both neighbours.
    const many = queries.run({ seriesId, x: 'step', from: 1005, to: 40_005, maxBuckets: 100, edges: true });
    expect(many.kind).toBe('buckets');
    expect([many.before?.idx, many.after?.idx]).toEqual([100, 4001]);
    const none = queries.run({ seriesId, x: 'step', from: 101, to: 109, maxBuckets: 100, edges: true });
    expect(none.kind === 'points' && none.points).toEqual([]);
    expect([none.before?.idx, none.after?.idx]).toEqual([10, 11]);
    // At the data's ends there is nothing outside; without `edges` nothing extra is answered.
    const all = queries.run({ seriesId, x: 'step', maxBuckets: 100, edges: true });
    expect([all.before, all.after]).toEqual([undefined, undefined]);
    expect('before' in queries.run({ seriesId, x: 'step', from: 105, to: 205, maxBuckets: 800 })).toBe(false);
    engine.close();
  });
});
