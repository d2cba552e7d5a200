// Names that are also JavaScript built-ins ("constructor", "__proto__", "toString", ...) are
// ordinary names for fields, sort keys, parameters, metrics and tags (review, issue 13, finding 7):
// never an INTERNAL error, a filter that matches every run, or a name that vanishes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import { runCli } from '../../src/main/cli/main';
import { CallError } from '../../src/main/rpc/dispatch';
import { Ingestor } from '../../src/main/runs/ingest';
import { metricPointLine } from '../../src/shared/metric-export';
import { tempDir } from '../support/tunebench';

const BUILT_INS = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__defineGetter__', 'propertyIsEnumerable'];

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    if (err instanceof CallError) return err.code;
    throw err;
  }
}

describe('built-in names in the runs table of ordinary runs', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = openEngine({ dataDir: tempDir(), checkOutputs: true });
    await engine.call('demo.seed', { runs: 3, points: 50 });
  });
  afterAll(() => engine.close());
  const table = (filter: string, sort?: string) => engine.call('runs.table', { project: 'demo', filter, ...(sort ? { sort: { key: sort, dir: 'asc' as const } } : {}) });

  it.each(BUILT_INS.flatMap((n) => [`${n} = 1`, `${n} != 1`, `${n} ~ x`, `${n}.min < 2`, `params.${n} = x`]))('refuses the filter %j: no run has that field', async (filter) => {
    await expect(table(filter)).rejects.toMatchObject({ info: { code: 'VALIDATION_FAILED', message: expect.stringMatching(/no run has a (field|parameter)/) } });
  });

  it.each(BUILT_INS.flatMap((n) => [n, `${n}.max`, `params.${n}`]))('refuses the sort key %j: no run has it', async (key) => {
    await expect(table('', key)).rejects.toMatchObject({ info: { code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Cannot sort by/) } });
  });

  it('filters on tags named like built-ins', async () => {
    const [run] = (await table('')).rows;
    await engine.call('runs.annotate', { id: run!.id, tags: ['constructor', '__proto__', 'toString'] });
    for (const tag of ['constructor', '__proto__', 'toString']) expect((await table(`tag:${tag}`)).rows.map((r) => r.id)).toEqual([run!.id]);
    expect((await table('tag:valueOf')).matched).toBe(0);
  });
});

describe('runs whose parameters and metrics are named like built-ins', () => {
  let engine: Engine;
  const A = '01ARZ3NDEKTSV4RRFFQ69G5FAA'; // has the odd names
  const B = '01ARZ3NDEKTSV4RRFFQ69G5FAB'; // has none of them
  beforeAll(async () => {
    engine = openEngine({ dataDir: tempDir(), checkOutputs: true });
    const project = await engine.call('projects.create', { name: 'p' });
    const host = (await engine.call('hosts.list', {}))[0]!;
    const ingestor = new Ingestor(engine.db);
    const runs: [string, string, string][] = [
      [
        A,
        '{"__proto__": "a", "constructor": 3, "lr": 1}',
        // The first line has the common shape (the fast reader), the second another field order (the reference parser).
        '{"seq": 1, "ts": 1, "step": 1, "kind": "train", "m": {"__proto__": 1.5, "constructor": 2, "toString": 3, "loss": 1}}\n{"m": {"__proto__": 0.5, "constructor": 4, "toString": 3}, "seq": 2, "ts": 2, "step": 2}\n',
      ],
      [B, '{"lr": 2}', '{"seq": 1, "ts": 1, "step": 1, "kind": "train", "m": {"loss": 2}}\n'],
    ];
    for (const [i, [id, params, lines]] of runs.entries()) {
      engine.db
        .prepare("INSERT INTO runs (id, project_id, host_id, recipe, params, status, remote_dir, created_at) VALUES (?, ?, ?, 'custom', ?, 'SUCCEEDED', '/x', ?)")
        .run(id, project.id, host.id, params, i);
      const cursor = ingestor.startEpoch(id, 'metrics.jsonl', 'f', undefined);
      ingestor.store(id, 'metrics.jsonl', 'metrics', cursor, Buffer.from(lines), false);
    }
  });
  afterAll(() => engine.close());
  const ids = async (filter: string, sort?: string, dir: 'asc' | 'desc' = 'asc') =>
    (await engine.call('runs.table', { project: 'p', filter, ...(sort ? { sort: { key: sort, dir } } : {}) })).rows.map((r) => (r.id === A ? 'A' : 'B'));

  it('stores, lists, charts and exports a metric named like a built-in', async () => {
    const series = await engine.call('metrics.series', { id: A });
    expect(series.map((s) => s.name)).toEqual(['__proto__', 'constructor', 'loss', 'toString']);
    expect(series.find((s) => s.name === '__proto__')).toMatchObject({ points: 2, min: 0.5, max: 1.5, last: 0.5 });
    const window = await engine.call('metrics.window', { runId: A, name: '__proto__', maxBuckets: 100 });
    expect(window).toMatchObject({ kind: 'points', total: 2, points: [{ value: 1.5 }, { value: 0.5 }] });
    const points = await engine.call('runs.metrics', { id: A, name: 'constructor' });
    expect(points.map((p) => metricPointLine(p, 'csv'))).toEqual(['metrics,1,1,1,train,constructor,2', 'metrics,2,2,2,train,constructor,4']);
    await expect(engine.call('metrics.window', { runId: B, name: 'constructor', maxBuckets: 100 })).rejects.toMatchObject({ info: { code: 'VALIDATION_FAILED' } });
  });

  it('offers them as columns and keeps them in the rows', async () => {
    const t = await engine.call('runs.table', { project: 'p' });
    expect(t.metrics).toEqual(['__proto__', 'constructor', 'loss', 'toString']);
    expect(t.params).toEqual(['__proto__', 'constructor', 'lr']);
    const a = t.rows.find((r) => r.id === A)!;
    expect(Object.keys(a.summaries).sort()).toEqual(['__proto__', 'constructor', 'loss', 'toString']);
    expect(Object.getOwnPropertyDescriptor(a.summaries, '__proto__')?.value).toEqual({ min: 0.5, max: 1.5, last: 0.5 });
    const b = t.rows.find((r) => r.id === B)!;
    expect(Object.keys(b.summaries)).toEqual(['loss']);
  });

  it('filters on them, matching only the runs that have them', async () => {
    expect(await ids('__proto__.min < 1')).toEqual(['A']);
    expect(await ids('__proto__.max > 0')).toEqual(['A']);
    expect(await ids('constructor.last = 4')).toEqual(['A']);
    expect(await ids('toString.min = 3')).toEqual(['A']);
    expect(await ids('constructor = 3')).toEqual(['A']); // the parameter
    expect(await ids('params.constructor = 3')).toEqual(['A']);
    expect(await ids('params.__proto__ = a')).toEqual(['A']);
    expect(await ids('__proto__ = a')).toEqual(['A']);
    // A run without the parameter has no value: not Object.prototype, which reads as "[object Object]".
    expect(await ids('params.__proto__ = "[object Object]"')).toEqual([]);
    expect(await ids('params.__proto__ ~ object')).toEqual([]);
    expect(await ids('constructor ~ function')).toEqual([]);
  });

  it('sorts by them, putting runs without them last', async () => {
    for (const dir of ['asc', 'desc'] as const) {
      for (const key of ['__proto__.min', 'constructor.last', 'toString.max', 'constructor', 'params.__proto__', '__proto__']) expect(await ids('', key, dir)).toEqual(['A', 'B']);
    }
  });
});

describe('--param names like built-ins', () => {
  const dir = tempDir();
  beforeAll(async () => {
    expect(await runCli(['project', 'create', 'demo', '--data-dir', dir], { stdout: () => undefined, stderr: () => undefined, env: {} })).toBe(0);
  });
  async function launch(param: string) {
    let stderr = '';
    const code = await runCli(['run', 'launch', '--project', 'demo', '--host', 'local', '--recipe', 'demo-lora-stdlib', '--param', param, '--json', '--data-dir', dir], {
      stdout: () => undefined,
      stderr: (t) => (stderr += t),
      env: {},
    });
    return { code, error: stderr ? (JSON.parse(stderr) as { error: { code: string; message: string } }).error : undefined };
  }

  it('refuses --param __proto__=x, which a parameter record cannot carry, rather than launch without it', async () => {
    const r = await launch('__proto__=x');
    expect(r.code).toBe(2);
    expect(r.error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/__proto__/) });
  });

  it.each(['constructor=1', 'toString=1', 'valueOf=1', 'hasOwnProperty=1'])('refuses --param %s as an unknown parameter, like any other', async (param) => {
    const r = await launch(param);
    expect(r.code).toBe(2);
    expect(r.error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining(`"${param.split('=')[0]}"`) });
  });
});

it('never answers INTERNAL for a built-in name anywhere in the runs table input', async () => {
  const engine = openEngine({ dataDir: tempDir(), checkOutputs: true });
  await engine.call('demo.seed', { runs: 2, points: 20 });
  for (const n of BUILT_INS) {
    for (const filter of [n, `${n} = 1`, `not ${n} = 1`, `${n}.last > 0 or lr > 0`, `tag:${n}`]) expect(await code(engine.call('runs.table', { project: 'demo', filter }))).not.toBe('INTERNAL');
    for (const key of [n, `${n}.min`, `params.${n}`, `${n}.${n}`]) expect(await code(engine.call('runs.table', { project: 'demo', sort: { key, dir: 'desc' } }))).not.toBe('INTERNAL');
  }
  engine.close();
});
