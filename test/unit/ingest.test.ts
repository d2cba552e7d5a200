// The ingest rules, on a real SQLite database: complete lines only, epochs, overlong lines, dedupe.
import { beforeEach, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import { completeLines, Ingestor, parseMetricLine, type Cursor } from '../../src/main/runs/ingest';
import { tempDir } from '../support/tunebench';

let engine: Engine;
let ingestor: Ingestor;
let runId: string;

beforeEach(async () => {
  engine = openEngine({ dataDir: tempDir() });
  ingestor = new Ingestor(engine.db);
  const project = await engine.call('projects.create', { name: 'p' });
  const host = (await engine.call('hosts.list', {}))[0]!;
  runId = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
  engine.db.prepare("INSERT INTO runs (id, project_id, host_id, recipe, params, status, remote_dir, created_at) VALUES (?, ?, ?, 'custom', '{}', 'RUNNING', '/x', 0)").run(runId, project.id, host.id);
});

const logs = () => engine.db.prepare('SELECT n, text FROM log_lines WHERE run_id = ? ORDER BY n').all(runId) as { n: number; text: string }[];
const start = (file: string): Cursor => ingestor.startEpoch(runId, file, 'dev:1', ingestor.cursor(runId, file));

describe('ingest', () => {
  it('stores only complete lines and resumes at the first byte it did not store', () => {
    const c = start('logs/output.log');
    const r = ingestor.store(runId, 'logs/output.log', 'log', c, Buffer.from('one\ntwo\nthr'), false);
    expect(r.next.offset).toBe(8);
    expect(logs().map((l) => l.text)).toEqual(['one', 'two']);
    ingestor.store(runId, 'logs/output.log', 'log', r.next, Buffer.from('three\n'), false);
    expect(logs()).toEqual([
      { n: 1, text: 'one' },
      { n: 2, text: 'two' },
      { n: 3, text: 'three' },
    ]);
  });

  it('refuses to store a chunk twice from a stale cursor (two processes syncing one run)', () => {
    const c = start('logs/output.log');
    expect(ingestor.store(runId, 'logs/output.log', 'log', c, Buffer.from('a\nb\n'), false).stale).toBe(false);
    expect(ingestor.store(runId, 'logs/output.log', 'log', c, Buffer.from('a\nb\n'), false).stale).toBe(true);
    expect(logs()).toHaveLength(2);
  });

  it('starts a new epoch for a replaced or truncated file without losing the old lines', () => {
    const c = start('logs/output.log');
    ingestor.store(runId, 'logs/output.log', 'log', c, Buffer.from('old 1\nold 2\n'), false);
    const again = ingestor.startEpoch(runId, 'logs/output.log', 'dev:2', ingestor.cursor(runId, 'logs/output.log'));
    expect(again).toMatchObject({ epoch: 1, offset: 0 });
    ingestor.store(runId, 'logs/output.log', 'log', again, Buffer.from('new 1\n'), false);
    expect(logs().map((l) => l.text)).toEqual(['old 1', 'old 2', 'new 1']);
  });

  it('skips a metrics line longer than a whole chunk, counting it once, and keeps what follows', () => {
    let c = start('metrics.jsonl');
    const good = (seq: number) => JSON.stringify({ seq, ts: 1, step: seq, m: { loss: seq } }) + '\n';
    c = ingestor.store(runId, 'metrics.jsonl', 'metrics', c, Buffer.from(good(1) + 'x'.repeat(100)), true).next; // chunk 1: good + start of a huge line
    c = ingestor.store(runId, 'metrics.jsonl', 'metrics', c, Buffer.from('x'.repeat(64)), true).next; // all huge line
    expect(c.skipping).toBe(true);
    c = ingestor.store(runId, 'metrics.jsonl', 'metrics', c, Buffer.from('x'.repeat(64)), true).next;
    c = ingestor.store(runId, 'metrics.jsonl', 'metrics', c, Buffer.from('xx\n' + good(2)), false).next;
    expect(c.skipping).toBe(false);
    const points = engine.db.prepare('SELECT p.seq FROM metric_points p JOIN metric_series s ON s.id = p.series_id WHERE s.run_id = ? ORDER BY p.seq').all(runId);
    expect(points).toEqual([{ seq: 1 }, { seq: 2 }]);
    expect(engine.db.prepare('SELECT malformed_lines AS n FROM runs WHERE id = ?').get(runId)).toEqual({ n: 1 });
  });

  it('cuts an overlong log line instead of storing megabytes of one line', () => {
    const c = start('logs/output.log');
    ingestor.store(runId, 'logs/output.log', 'log', c, Buffer.from('z'.repeat(200_000) + '\n'), false);
    expect(logs()[0]!.text.length).toBeLessThan(70_000);
    expect(logs()[0]!.text).toMatch(/line cut at/);
  });
});

describe('metric lines', () => {
  it.each([
    ['not JSON', 'nope'],
    ['a NaN literal', '{"seq":1,"ts":1,"m":{"loss":NaN}}'],
    ['no seq', '{"ts":1,"m":{"loss":1}}'],
    ['seq 0', '{"seq":0,"ts":1,"m":{"loss":1}}'],
    ['no ts', '{"seq":1,"m":{"loss":1}}'],
    ['no numeric values', '{"seq":1,"ts":1,"m":{"note":"hi"}}'],
    ['m not an object', '{"seq":1,"ts":1,"m":[1]}'],
    ['over 1 MiB', JSON.stringify({ seq: 1, ts: 1, m: { loss: 1, pad: 'p'.repeat(1024 * 1024) } })],
  ])('refuses %s', (_label, line) => expect(parseMetricLine(line)).toBeNull());

  it('keeps NaN and infinite values the SDK writes as text, as null', () => {
    expect(parseMetricLine('{"seq":3,"ts":1.5,"step":7,"kind":"train","m":{"loss":"nan","lr":0.1,"x":"inf"}}')).toEqual({
      seq: 3,
      ts: 1.5,
      step: 7,
      kind: 'train',
      values: [
        ['loss', null],
        ['lr', 0.1],
        ['x', null],
      ],
    });
  });

  it('splits chunks on newlines and reports the bytes the complete lines cover', () => {
    expect(completeLines(Buffer.from('é\nb'), 10)).toEqual({ lines: [{ offset: 10, text: 'é' }], consumed: 3 });
  });
});
