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
const EARLY = '01ARZ3NDEKTSV4RRFFQ69G5FA3';

function ingest(ingestor: Ingestor, runId: string, file: string, kind: 'log' | 'clock' | 'metrics', text: string) {
  const cursor = ingestor.cursor(runId, file) ?? ingestor.startEpoch(runId, file, 'f', undefined);
  ingestor.store(runId, file, kind, cursor, Buffer.from(text), false);
}

beforeAll(async () => {
  engine = openEngine({ dataDir: tempDir() });
  const p = await engine.call('projects.create', { name: 'p' });
  const host = (await engine.call('hosts.list', {}))[0]!;
  for (const id of [RUN, OTHER, EARLY]) {
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
  // The supervisor's clock: lines from byte 0 written at t=1, from line 2 (byte 16) at t=100.5, from line 6 at t=151.
  const line6 = Buffer.byteLength(
    [
      'step 1 loss 2.3',
      'Traceback (most recent call last):',
      '  File "train.py", line 3, in <module>',
      'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB',
      'NCCL WARN Watchdog timeout: collective failed',
      '',
    ].join('\n'),
  );
  ingest(
    ingestor,
    RUN,
    'logs/output.clock',
    'clock',
    [
      { offset: 0, ts: 1 },
      { offset: 16, ts: 100.5 },
      { offset: line6, ts: 151 },
    ]
      .map((t) => JSON.stringify(t))
      .join('\n') + '\nnot json\n',
  );
  ingest(ingestor, OTHER, 'logs/output.log', 'log', 'CUDA out of memory on the other run\n');
  // A run that fails while loading its model, before it logs any step.
  ingest(ingestor, EARLY, 'logs/output.log', 'log', 'Traceback (most recent call last):\n');
  ingest(ingestor, EARLY, 'logs/output.clock', 'clock', '{"offset": 0, "ts": 0.5}\n');
  ingest(ingestor, EARLY, 'metrics.jsonl', 'metrics', '{"seq": 1, "ts": 1, "step": 1, "m": {"loss": 2}}\n');
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
    expect(markers.map((m) => [m.kind, m.from === 'log' ? m.line : m.step])).toEqual([
      ['loss_spike', 120],
      ['nan_loss', 150],
      ['traceback', 2],
      ['cuda_oom', 4],
      ['nccl_error', 5],
      ['restart', 6],
    ]);
  });

  it('are placed in the other view by the log clock: log markers at a step, metric markers at a line', async () => {
    const markers = await engine.call('runs.markers', { id: RUN });
    expect(markers.map((m) => [m.kind, m.from, m.line, m.step])).toEqual([
      ['loss_spike', 'metrics', 2, 120], // logged at t=120: the lines written from t=100.5 on start at line 2
      ['nan_loss', 'metrics', 2, 150],
      ['traceback', 'log', 2, 100], // written at t=100.5, when the last loss logged was step 100
      ['cuda_oom', 'log', 4, 100],
      ['nccl_error', 'log', 5, 100],
      ['restart', 'log', 6, 151],
    ]);
    // A line written before the first step logged has no step.
    expect((await engine.call('runs.markers', { id: EARLY })).map((m) => [m.kind, m.line, m.step])).toEqual([['traceback', 1, null]]);
    // A run without a clock keeps each marker in its own place only.
    expect((await engine.call('runs.markers', { id: OTHER })).map((m) => [m.line, m.step])).toEqual([[1, null]]);
    expect(engine.db.prepare('SELECT malformed_lines AS n FROM runs WHERE id = ?').get(RUN)).toEqual({ n: 1 }); // "not json" in the clock
  });

  it('does not call ordinary noise a spike', () => {
    const watch = new LossWatch();
    let spikes = 0;
    for (let i = 0; i < 5000; i++) if (watch.check('loss', 2 + Math.sin(i) * 0.1, i)) spikes++;
    expect(spikes).toBe(0);
  });

  it('finds the same spikes as a plain median/MAD over the last 64 values, refreshed every 16', () => {
    // The reference: the window re-sorted at each refresh, as written in the robust z-score's definition.
    class Reference {
      recent: number[] = [];
      median = 0;
      mad = 0;
      since = 0;
      push(v: number) {
        this.recent.push(v);
        if (this.recent.length > 64) this.recent.shift();
        if (++this.since >= 16 || this.recent.length < 16) {
          this.since = 0;
          const s = [...this.recent].sort((a, b) => a - b);
          this.median = s[Math.floor(s.length / 2)]!;
          const d = s.map((x) => Math.abs(x - this.median)).sort((a, b) => a - b);
          this.mad = d[Math.floor(d.length / 2)]!;
        }
      }
      check(v: number | null): boolean {
        if (v === null) return false;
        let spike = false;
        if (this.recent.length >= 16) {
          const scale = 1.4826 * this.mad || Math.abs(this.median) * 1e-3 || 1e-12;
          spike = (v - this.median) / scale > 8;
        }
        this.push(v);
        return spike;
      }
    }
    let s = 99;
    const rand = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    for (let trial = 0; trial < 20; trial++) {
      const seed = Array.from({ length: Math.floor(rand() * 100) }, () => rand());
      const watch = new LossWatch(seed);
      const reference = new Reference();
      for (const v of seed) reference.push(v);
      let level = 2;
      let spikes = 0;
      for (let i = 0; i < 3000; i++) {
        const r = rand();
        if (r < 0.3)
          level = Math.round(level * 4) / 4; // plateaus and repeated values
        else level += (rand() - 0.5) * 0.1;
        const v = r < 0.01 ? null : r < 0.03 ? level + rand() * 50 : level;
        const mine = watch.check('loss', v, i)?.kind === 'loss_spike';
        expect(mine, `trial ${trial}, point ${i}`).toBe(reference.check(v));
        if (mine) spikes++;
      }
      expect(spikes).toBeGreaterThan(0);
    }
  });
});

describe('log search', () => {
  it('finds words within a run, across a project, and treats punctuation as text', async () => {
    expect((await engine.call('logs.search', { query: 'out of memory', run: RUN })).map((h) => h.n)).toEqual([4]);
    expect((await engine.call('logs.search', { query: 'memory', project: 'p' })).map((h) => h.runId).sort()).toEqual([RUN, OTHER].sort());
    expect(await engine.call('logs.search', { query: '"quotes" col:ons', run: RUN })).toEqual([{ runId: RUN, n: 7, text: 'all good: "quotes" and col:ons' }]);
    expect(await engine.call('logs.search', { query: 'nothing-like-this', run: RUN })).toEqual([]);
  });

  it("quotes the user's words for FTS5", () => {
    expect(ftsQuery('NCCL AND "out of" x"y')).toBe('"NCCL" "AND" "out of" "x""y"');
    expect(() => ftsQuery('""')).toThrow(/Give some words/);
  });
});
