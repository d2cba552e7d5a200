// Markers found at ingest, and full-text log search, on a real database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import { Ingestor } from '../../src/main/runs/ingest';
import { ftsQuery } from '../../src/main/runs/log-search';
import { LossWatch } from '../../src/main/runs/markers';
import { tempDir } from '../support/tunebench';

let engine: Engine;
const RUN = '01ARZ3NDEKTSV4RRFFQ69G5FA1';
const OTHER = '01ARZ3NDEKTSV4RRFFQ69G5FA2';

function ingest(ingestor: Ingestor, runId: string, file: string, kind: 'log' | 'metrics', text: string) {
  const cursor = ingestor.cursor(runId, file) ?? ingestor.startEpoch(runId, file, 'f', undefined);
  ingestor.store(runId, file, kind, cursor, Buffer.from(text), false);
}

beforeAll(async () => {
  engine = openEngine({ dataDir: tempDir() });
  const p = await engine.call('projects.create', { name: 'p' });
  const host = (await engine.call('hosts.list', {}))[0]!;
  for (const id of [RUN, OTHER]) {
    engine.db.prepare("INSERT INTO runs (id, project_id, host_id, recipe, params, status, remote_dir, created_at) VALUES (?, ?, ?, 'custom', '{}', 'RUNNING', '/x', 0)").run(id, p.id, host.id);
  }
  const ingestor = new Ingestor(engine.db);
  ingest(
    ingestor,
    RUN,
    'logs/output.log',
    'log',
    [
      'step 1 loss 2.3',
      'Traceback (most recent call last):',
      '  File "train.py", line 3, in <module>',
      'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB',
      'NCCL WARN Watchdog timeout: collective failed',
      'Resuming from checkpoint checkpoints/step-400',
      'all good: "quotes" and col:ons',
    ].join('\n') + '\n',
  );
  ingest(ingestor, OTHER, 'logs/output.log', 'log', 'CUDA out of memory on the other run\n');
  const lines: string[] = [];
  for (let i = 1; i <= 200; i++) {
    const loss = i === 120 ? 40 : i >= 150 && i < 155 ? 'nan' : 2 - i / 1000 + (i % 3) * 0.01;
    lines.push(JSON.stringify({ seq: i, ts: i, step: i, m: { loss, learning_rate: i === 60 ? 100 : 0.001 } }));
  }
  ingest(ingestor, RUN, 'metrics.jsonl', 'metrics', lines.join('\n') + '\n');
});
afterAll(() => engine.close());

describe('markers', () => {
  it('are found in logs and in loss series, once per NaN stretch, never for other metrics', async () => {
    const markers = await engine.call('runs.markers', { id: RUN });
    expect(markers.map((m) => [m.kind, m.line ?? m.step])).toEqual([
      ['loss_spike', 120],
      ['nan_loss', 150],
      ['traceback', 2],
      ['cuda_oom', 4],
      ['nccl_error', 5],
      ['restart', 6],
    ]);
  });

  it('does not call ordinary noise a spike', () => {
    const watch = new LossWatch();
    let spikes = 0;
    for (let i = 0; i < 5000; i++) if (watch.check('loss', 2 + Math.sin(i) * 0.1, i)) spikes++;
    expect(spikes).toBe(0);
  });
});

describe('log search', () => {
  it('finds words within a run, across a project, and treats punctuation as text', async () => {
    expect((await engine.call('logs.search', { query: 'out of memory', run: RUN })).map((h) => h.n)).toEqual([4]);
    expect((await engine.call('logs.search', { query: 'memory', project: 'p' })).map((h) => h.runId).sort()).toEqual([RUN, OTHER].sort());
    expect(await engine.call('logs.search', { query: '"quotes" col:ons', run: RUN })).toEqual([{ runId: RUN, n: 7, text: 'all good: "quotes" and col:ons' }]);
    expect(await engine.call('logs.search', { query: 'nothing-like-this', run: RUN })).toEqual([]);
  });

  it('quotes the user\'s words for FTS5', () => {
    expect(ftsQuery('NCCL AND "out of" x"y')).toBe('"NCCL" "AND" "out of" "x""y"');
    expect(() => ftsQuery('""')).toThrow(/Give some words/);
  });
});
