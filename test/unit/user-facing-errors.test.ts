// Failures ordinary input or a damaged or full disk can cause get a code and a sentence that says
// what to do, never INTERNAL (review, issue 13, finding 8).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import { runCli } from '../../src/main/cli/main';
import { openDatabase } from '../../src/main/db/open';
import { toErrorInfo } from '../../src/main/errors';
import { DEFAULT_SSH_RUN_ROOT } from '../../src/main/hosts/host-store';
import { CallError } from '../../src/main/rpc/dispatch';
import { Ingestor } from '../../src/main/runs/ingest';
import { DATABASE_FILE } from '../../src/main/paths';
import { tempDir } from '../support/tunebench';

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli([...args, '--json'], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {} });
  return { code, stdout, error: stderr ? (JSON.parse(stderr) as { error: { code: string; message: string; details?: unknown } }).error : undefined };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    if (err instanceof CallError) return err.code;
    throw err;
  }
}

describe('log search', () => {
  let engine: Engine;
  const runId = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
  beforeAll(async () => {
    engine = openEngine({ dataDir: tempDir(), checkOutputs: true });
    const project = await engine.call('projects.create', { name: 'p' });
    const host = (await engine.call('hosts.list', {}))[0]!;
    engine.db
      .prepare("INSERT INTO runs (id, project_id, host_id, recipe, params, status, remote_dir, created_at) VALUES (?, ?, ?, 'custom', '{}', 'SUCCEEDED', '/x', 0)")
      .run(runId, project.id, host.id);
    const ingestor = new Ingestor(engine.db);
    const cursor = ingestor.startEpoch(runId, 'logs/output.log', 'f', undefined);
    ingestor.store(runId, 'logs/output.log', 'log', cursor, Buffer.from('hello world\nNCCL AND * NEAR( "x\n'), false);
  });
  afterAll(() => engine.close());

  it.each(['a\0b', '\0', 'hello\0', '"hel\0lo"'])('refuses a NUL character with LOG_QUERY_INVALID and says what to do (%j)', async (query) => {
    await expect(engine.call('logs.search', { query, run: runId })).rejects.toMatchObject({ info: { code: 'LOG_QUERY_INVALID', message: expect.stringMatching(/NUL.*Remove it/) } });
  });

  it.each(['"abc', 'AND', '*', 'NEAR(', 'NEAR(a b)', 'OR', 'NOT', '(', ')', '^', '-', '+', ':', 'a:b', '"', '"""', 'hello*', '\u0001', '\ud800', 'é', 'x'.repeat(500)])(
    'reads FTS5 syntax as words, or refuses it with LOG_QUERY_INVALID, never INTERNAL (%j)',
    async (query) => {
      expect(['OK', 'LOG_QUERY_INVALID']).toContain(await codeOf(engine.call('logs.search', { query, run: runId })));
    },
  );

  it('finds FTS5 operators as the words they are', async () => {
    expect((await engine.call('logs.search', { query: 'AND', run: runId })).map((h) => h.n)).toEqual([2]);
    expect((await engine.call('logs.search', { query: 'NEAR(', run: runId })).map((h) => h.n)).toEqual([2]);
  });

  it('exits 2 from the CLI with the code', async () => {
    const r = await cli(['run', 'search', 'a\0b', '--data-dir', tempDir()]);
    expect(r.code).toBe(2);
    expect(r.error?.code).toBe('LOG_QUERY_INVALID');
  });
});

describe('a damaged database whose header is valid', () => {
  let seeded: string;
  beforeAll(async () => {
    seeded = tempDir();
    const engine = openEngine({ dataDir: seeded });
    await engine.call('demo.seed', { runs: 3, points: 300 });
    engine.close();
  });

  /** A copy of the seeded data directory with `pages` (1-based) overwritten by noise. */
  function damaged(pagesOf: (db: Database.Database) => number[]): string {
    const dir = tempDir();
    const file = path.join(dir, DATABASE_FILE);
    fs.copyFileSync(path.join(seeded, DATABASE_FILE), file);
    const db = new Database(file, { readonly: true });
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const pages = pagesOf(db);
    db.close();
    const noise = Buffer.alloc(pageSize, 0);
    for (let i = 0; i < pageSize; i++) noise[i] = (i * 7919 + 13) & 0xff;
    const fd = fs.openSync(file, 'r+');
    for (const page of pages) fs.writeSync(fd, noise, 0, pageSize, (page - 1) * pageSize);
    fs.closeSync(fd);
    const header = fs.readFileSync(file).subarray(0, 16).toString('latin1');
    expect(header).toBe('SQLite format 3\0');
    return dir;
  }
  const rootOf = (table: string) => (db: Database.Database) => [(db.prepare('SELECT rootpage FROM sqlite_schema WHERE name = ?').get(table) as { rootpage: number }).rootpage];

  function expectCorrupt(r: Awaited<ReturnType<typeof cli>>, dir: string) {
    expect(r.code).toBe(1);
    expect(r.error?.code).toBe('DB_CORRUPT');
    const file = path.join(dir, DATABASE_FILE);
    expect(r.error?.message).toContain(`The database ${file} is damaged`);
    expect(r.error?.message).toMatch(/restore the file from a backup/);
    expect(r.error?.message).toContain(`sqlite3 '${file}' .recover`);
  }

  it.each([
    [
      'the hosts table',
      rootOf('hosts'),
      [
        ['project', 'list'],
        ['run', 'list'],
        ['host', 'list'],
        ['run', 'search', 'loss'],
      ],
    ],
    [
      'the log index config ("vtable constructor failed")',
      rootOf('log_fts_config'),
      [
        ['project', 'list'],
        ['run', 'list'],
        ['demo', 'seed', '--runs', '1', '--points', '5'],
      ],
    ],
    [
      'the projects table',
      rootOf('projects'),
      [
        ['project', 'list'],
        ['demo', 'seed', '--runs', '1', '--points', '5'],
      ],
    ],
    [
      'the runs table',
      rootOf('runs'),
      [
        ['run', 'list'],
        ['run', 'list', '--filter', 'lr > 0'],
      ],
    ],
    ['the log index data', rootOf('log_fts_data'), [['run', 'search', 'loss']]],
    [
      'page 1 past the header (the schema)',
      () => [1],
      [
        ['project', 'list'],
        ['host', 'list'],
      ],
    ],
    [
      'pages 2 to 20',
      () => Array.from({ length: 19 }, (_, i) => i + 2),
      [
        ['project', 'list'],
        ['run', 'list'],
        ['host', 'list'],
      ],
    ],
  ] as const)('answers DB_CORRUPT, naming the file and how to recover, when %s is damaged', async (_what, pages, commands) => {
    let dir: string;
    if (_what.startsWith('page 1')) {
      // Keep the first 100 bytes (the header), wreck the rest of page 1.
      dir = tempDir();
      const file = path.join(dir, DATABASE_FILE);
      const bytes = fs.readFileSync(path.join(seeded, DATABASE_FILE));
      bytes.fill(0xab, 100, 4096);
      fs.writeFileSync(file, bytes);
    } else dir = damaged(pages as (db: Database.Database) => number[]);
    for (const command of commands) expectCorrupt(await cli([...command, '--data-dir', dir]), dir);
  });

  it('leaves the damaged file untouched', async () => {
    const dir = damaged(rootOf('hosts'));
    const file = path.join(dir, DATABASE_FILE);
    const before = fs.readFileSync(file);
    await cli(['project', 'list', '--data-dir', dir]);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('answers DB_CORRUPT when opening finds the damage', () => {
    const dir = tempDir();
    const bytes = fs.readFileSync(path.join(seeded, DATABASE_FILE));
    bytes.fill(0xab, 100, bytes.length);
    fs.writeFileSync(path.join(dir, DATABASE_FILE), bytes);
    expect(() => openDatabase(dir)).toThrow(expect.objectContaining({ code: 'DB_CORRUPT' }));
  });
});

describe('a full disk', () => {
  it('is DISK_FULL when SQLite cannot write (SQLITE_FULL), naming no file it does not know', async () => {
    const engine = openEngine({ dataDir: tempDir() });
    const pages = engine.db.pragma('page_count', { simple: true }) as number;
    engine.db.pragma(`max_page_count = ${pages}`);
    const err = await engine.call('demo.seed', { runs: 2, points: 2000 }).catch((e: CallError) => e);
    expect(err).toBeInstanceOf(CallError);
    expect((err as CallError).info).toMatchObject({ code: 'DISK_FULL', message: expect.stringMatching(/^The disk holding the data directory is full\. Free some space/) });
    engine.close();
  });

  it.runIf(fs.existsSync('/dev/full'))('is DISK_FULL for a file the engine cannot write (ENOSPC), naming it when the error does', () => {
    let err: unknown;
    try {
      fs.writeFileSync('/dev/full', 'x');
    } catch (e) {
      err = e;
    }
    expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(toErrorInfo(err)).toMatchObject({ code: 'DISK_FULL', message: expect.stringMatching(/^A disk is full .* Free some space/) });
    const named = Object.assign(new Error('ENOSPC: no space left on device, open'), { code: 'ENOSPC', path: '/data/out.zip' });
    expect(toErrorInfo(named).message).toMatch(/^The disk is full: \/data\/out\.zip could not be written\. Free some space/);
  });

  it('is DISK_FULL when a read cannot grow the WAL index on a full disk (SQLITE_IOERR_SHMSIZE)', () => {
    // What better-sqlite3 throws for any query on a full disk; measured on a full tmpfs.
    const err = Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_SHMSIZE' });
    expect(toErrorInfo(err).code).toBe('DISK_FULL');
    expect(toErrorInfo(Object.assign(new Error('quota'), { code: 'EDQUOT' })).code).toBe('DISK_FULL');
  });
});

describe('demo seed', () => {
  it.each([
    [{ runs: 1, points: 10_000_000 }, /from 1 to 2,000,000 points per run/],
    [{ runs: 1, points: 2_000_001 }, /from 1 to 2,000,000 points per run/],
    [{ runs: 11, points: 2_000_000 }, /more than the 20,000,000 points a seed makes at most/],
    [{ runs: 10_000, points: 10_000 }, /more than the 20,000,000 points/],
  ])('refuses %j, too large to make, with VALIDATION_FAILED and the limit', async (input, message) => {
    const engine = openEngine({ dataDir: tempDir() });
    await expect(engine.call('demo.seed', input)).rejects.toMatchObject({ info: { code: 'VALIDATION_FAILED', message: expect.stringMatching(message) } });
    expect(engine.db.prepare('SELECT count(*) AS n FROM runs').get()).toEqual({ n: 0 });
    engine.close();
  });

  it('says so from the CLI too, with exit code 2', async () => {
    const r = await cli(['demo', 'seed', '--runs', '1', '--points', '10000000', '--data-dir', tempDir()]);
    expect(r.code).toBe(2);
    // The CLI checks its flags against the engine's limit before asking the engine.
    expect(r.error?.code).toBe('BAD_USAGE');
    expect(r.error?.message).toMatch(/--points is an integer from 1 to 2,000,000/);
  });

  it('streams a run larger than one chunk of lines, every point kept', async () => {
    const engine = openEngine({ dataDir: tempDir() });
    const points = 60_000; // ~8 MB of lines: two 4 MB chunks and a bit
    const { runIds, spikes } = await engine.call('demo.seed', { runs: 1, points });
    const series = await engine.call('metrics.series', { id: runIds[0]! });
    expect(series.find((s) => s.name === 'loss')).toMatchObject({ points, max: spikes[0]!.value, maxStep: spikes[0]!.step });
    expect(series.find((s) => s.name === 'eval_loss')?.points).toBe(20);
    expect((await engine.call('runs.get', { id: runIds[0]! })).malformedLines).toBe(0);
    engine.close();
  });

  it('never leaves a SUCCEEDED run without its points when it stops midway (here: a full disk)', async () => {
    const engine = openEngine({ dataDir: tempDir() });
    await engine.call('projects.create', { name: 'demo' });
    const pages = engine.db.pragma('page_count', { simple: true }) as number;
    engine.db.pragma(`max_page_count = ${pages + 200}`); // room for a run or two of 2,000 points, not for 5
    await expect(engine.call('demo.seed', { runs: 5, points: 2000 })).rejects.toMatchObject({ info: { code: 'DISK_FULL' } });
    const runs = engine.db.prepare("SELECT r.id, r.status, (SELECT coalesce(sum(points), 0) FROM metric_series s WHERE s.run_id = r.id AND s.name = 'loss') AS points FROM runs r").all() as {
      status: string;
      points: number;
    }[];
    expect(runs.length).toBeLessThan(5);
    for (const r of runs) expect(r).toMatchObject({ status: 'SUCCEEDED', points: 2000 });
    engine.close();
  });
});

describe('project names', () => {
  let engine: Engine;
  beforeAll(() => {
    engine = openEngine({ dataDir: tempDir(), checkOutputs: true });
  });
  afterAll(() => engine.close());

  it('may not be another project id, in either case, on create or rename', async () => {
    const a = await engine.call('projects.create', { name: 'alpha' });
    const b = await engine.call('projects.create', { name: 'beta' });
    for (const name of [a.id, a.id.toLowerCase(), ` ${a.id} `, '01ARZ3NDEKTSV4RRFFQ69G5FAV']) {
      await expect(engine.call('projects.create', { name })).rejects.toMatchObject({ info: { code: 'VALIDATION_FAILED', message: expect.stringMatching(/shape of a project id.*Choose a name/) } });
      await expect(engine.call('projects.rename', { ref: b.id, name })).rejects.toMatchObject({ info: { code: 'VALIDATION_FAILED' } });
    }
    expect((await engine.call('projects.get', { ref: a.id })).name).toBe('alpha');
    expect((await engine.call('projects.get', { ref: b.id })).name).toBe('beta');
    expect((await engine.call('projects.list', {})).map((p) => p.name).sort()).toEqual(['alpha', 'beta']);
  });

  it('may be other 26-character names', async () => {
    expect((await engine.call('projects.create', { name: 'llama-3-sft-with-lora-r16!' })).name).toHaveLength(26);
  });

  it('are refused from the CLI with exit code 2', async () => {
    const dir = tempDir();
    const created = await cli(['project', 'create', 'first', '--data-dir', dir]);
    const id = (JSON.parse(created.stdout) as { id: string }).id;
    const r = await cli(['project', 'create', id, '--data-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.error?.code).toBe('VALIDATION_FAILED');
  });
});

describe('host run roots', () => {
  let engine: Engine;
  beforeAll(() => {
    engine = openEngine({ dataDir: tempDir(), checkOutputs: true });
  });
  afterAll(() => engine.close());
  const add = (name: string, runRoot?: string) => engine.call('hosts.add', { name, hostname: '10.0.0.5', ...(runRoot !== undefined ? { runRoot } : {}) });

  it('default to ~/.tunebench, stored relative to the SSH home', async () => {
    expect((await add('default')).runRoot).toBe(DEFAULT_SSH_RUN_ROOT);
  });

  it.each(['foo', 'runs/tunebench', '.tunebench', './x', '../x', '~user/x'])('refuse a bare relative path %j on add and set, saying what to give', async (runRoot) => {
    const expected = { info: { code: 'VALIDATION_FAILED', message: expect.stringMatching(/absolute path .*~\/DIR/) } };
    await expect(add(`h${Math.random().toString(36).slice(2, 8)}`, runRoot)).rejects.toMatchObject(expected);
    await expect(engine.call('hosts.configure', { ref: 'default', runRoot })).rejects.toMatchObject(expected);
    await expect(engine.call('hosts.configure', { ref: 'local', runRoot })).rejects.toMatchObject(expected);
    expect((await engine.call('hosts.list', {})).find((h) => h.name === 'default')?.runRoot).toBe(DEFAULT_SSH_RUN_ROOT);
  });

  it('take an absolute path as it is, and ~/DIR as DIR under the SSH home', async () => {
    expect((await add('abs', '/scratch/me/tb')).runRoot).toBe('/scratch/me/tb');
    expect((await add('home', '~/tb')).runRoot).toBe('tb');
    expect((await add('home2', '~//tb/x')).runRoot).toBe('tb/x');
    expect((await add('home3', '~')).runRoot).toBe('.');
    expect((await engine.call('hosts.configure', { ref: 'abs', runRoot: '~/other' })).runRoot).toBe('other');
    expect((await engine.call('hosts.configure', { ref: 'abs', runRoot: '/x/y' })).runRoot).toBe('/x/y');
  });

  it('put ~/DIR of the local host under this user home', async () => {
    expect((await engine.call('hosts.configure', { ref: 'local', runRoot: '~/tb-local' })).runRoot).toBe(path.join(os.homedir(), 'tb-local'));
  });

  it('are refused from the CLI with exit code 2 for host add and host set', async () => {
    const dir = tempDir();
    const added = await cli(['host', 'add', 'gpu', '--hostname', '10.0.0.5', '--run-root', 'foo', '--data-dir', dir]);
    expect(added.code).toBe(2);
    expect(added.error?.code).toBe('VALIDATION_FAILED');
    expect((await cli(['host', 'add', 'gpu', '--hostname', '10.0.0.5', '--data-dir', dir])).code).toBe(0);
    const set = await cli(['host', 'set', 'gpu', '--run-root', 'foo', '--data-dir', dir]);
    expect(set.code).toBe(2);
    expect(set.error?.message).toMatch(/~\/DIR/);
  });
});
