// The filter language and the runs table: what it keeps, how it sorts, and how it says what is wrong.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import { migrate } from '../../src/main/db/migrate';
import { MIGRATIONS } from '../../src/main/db/migrations';
import { CallError } from '../../src/main/rpc/dispatch';
import { parseFilter } from '../../src/main/runs/filter/parse';
import { tempDir } from '../support/tunebench';

let engine: Engine;
let ids: string[];

beforeAll(async () => {
  engine = openEngine({ dataDir: tempDir(), checkOutputs: true });
  ids = (await engine.call('demo.seed', { runs: 12, points: 200 })).runIds;
  await engine.call('runs.annotate', { id: ids[0]!, tags: ['baseline', 'v1'], notes: 'the reference run' });
  engine.db.prepare("UPDATE runs SET status = 'FAILED' WHERE id = ?").run(ids[1]!);
});
afterAll(() => engine.close());

const table = (filter?: string, sort?: { key: string; dir: 'asc' | 'desc' }) =>
  engine.call('runs.table', { project: 'demo', ...(filter !== undefined ? { filter } : {}), ...(sort ? { sort } : {}), limit: 1000 });

async function filterError(filter: string): Promise<{ message: string; position: number }> {
  try {
    await table(filter);
  } catch (err) {
    const info = (err as CallError).info;
    expect(info.code).toBe('VALIDATION_FAILED');
    return { message: info.message, position: (info.details as { position: number }).position };
  }
  throw new Error(`"${filter}" was accepted`);
}

describe('the runs table', () => {
  it('gives the runs asked for by id, however many (a filter naming them hit its length limit)', async () => {
    const wanted = [ids[3]!, ids[0]!, ids[7]!];
    const t = await engine.call('runs.table', { ids: [...wanted, '01ARZ3NDEKTSV4RRFFQ69G5FAV'], limit: 1000 });
    expect(t.rows.map((r) => r.id).sort()).toEqual([...wanted].sort());
    expect(t.matched).toBe(3);
    // 1,000 ids in one call: far past what a filter of "id = X or ..." could say in 2,000 characters.
    const many = [...ids, ...Array.from({ length: 1000 - ids.length }, (_, i) => `01ARZ3NDEKTSV4RRFFQ69G${String(i).padStart(4, '0')}`)];
    expect((await engine.call('runs.table', { ids: many, limit: 1000 })).matched).toBe(12);
    // With a filter too, both apply.
    expect((await engine.call('runs.table', { ids: wanted, filter: `id = ${ids[0]}` })).rows.map((r) => r.id)).toEqual([ids[0]]);
  });

  it('lists every run with parameters, tags and metric summaries, newest first by default', async () => {
    const t = await table();
    expect(t.total).toBe(12);
    expect(t.matched).toBe(12);
    expect(t.params).toEqual(['lr', 'rank', 'seed', 'steps', 'synthetic']);
    expect(t.metrics).toEqual(['eval_loss', 'grad_norm', 'learning_rate', 'loss', 'tokens']);
    expect(t.rows.map((r) => r.id)).toEqual([...ids].reverse());
    expect(t.rows.find((r) => r.id === ids[0])).toMatchObject({ tags: ['baseline', 'v1'], notes: 'the reference run' });
    expect(t.rows[0]!.summaries.loss!.max).toBeGreaterThan(20);
  });

  it('filters with the example from the issue', async () => {
    const t = await table('status = succeeded and lr < 3e-4 and eval_loss.min < 5 and tag:baseline and recipe ~ "stdlib"');
    expect(t.rows.map((r) => r.id)).toEqual([ids[0]]);
  });

  it('supports or, not, parentheses, params.x and comparisons of text', async () => {
    expect((await table('status = failed')).matched).toBe(1);
    expect((await table('not status = failed')).matched).toBe(11);
    const grouped = await table('(lr = 1e-4 or lr = 5e-4) and params.rank >= 8');
    expect(grouped.rows.length).toBeGreaterThan(0); // so the next line cannot pass on an empty table
    expect(grouped.rows.every((r) => [1e-4, 5e-4].includes(r.params.lr as number) && (r.params.rank as number) >= 8)).toBe(true);
    expect((await table('host = local')).matched).toBe(12);
    expect((await table('tag:nope')).matched).toBe(0);
  });

  it('filters and sorts on notes', async () => {
    expect((await table('notes ~ "REFERENCE"')).rows.map((r) => r.id)).toEqual([ids[0]]);
    expect((await table('notes = ""')).matched).toBe(11);
    expect((await table('', { key: 'notes', dir: 'desc' })).rows[0]!.id).toBe(ids[0]);
  });

  it('sorts by a metric summary or parameter, putting runs without it last', async () => {
    const asc = await table('', { key: 'eval_loss.min', dir: 'asc' });
    const values = asc.rows.map((r) => r.summaries.eval_loss!.min!);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    const byLr = await table('', { key: 'lr', dir: 'desc' });
    expect(byLr.rows[0]!.params.lr).toBe(5e-4);
    await expect(table('', { key: 'nonsense.max', dir: 'asc' })).rejects.toMatchObject({ info: { code: 'VALIDATION_FAILED' } });
    await expect(table('', { key: 'nonsense.max', dir: 'asc' })).rejects.toThrow(
      /^Cannot sort by "nonsense.max": no run has a field, parameter or metric "nonsense.max". Try one of: id, name, project, status/,
    );
    await expect(table('', { key: 'loss', dir: 'asc' })).rejects.toThrow('Cannot sort by "loss": say which value of loss: loss.min, loss.max or loss.last.');
  });

  it.each([
    ['status =', 9, /expected a value after "="/],
    ['status succeeded', 8, /expected an operator/],
    ['lr < 1 and', 11, /expected a condition/],
    ['(lr < 1', 8, /expected "\)" to close the "\(" at position 1/],
    ['lrr < 1', 1, /no run has a field, parameter or metric "lrr"/],
    ['eval_loss < 1', 1, /eval_loss.min, eval_loss.max or eval_loss.last/],
    ['recipe ~ "sft', 10, /never ends/],
    ['lr < 1 lr > 0', 8, /expected "and", "or" or the end/],
    ['status = ok $', 13, /unexpected "\$"/],
  ])('explains %j at its position', async (filter, position, message) => {
    const e = await filterError(filter);
    expect(e.position).toBe(position);
    expect(e.message).toMatch(message);
  });

  it('parses nothing from an empty filter', () => {
    expect(parseFilter('   ')).toBeNull();
  });

  it.each([
    ['status = sucessful', 10, 'status', 'succeeded'],
    ['status != runing', 11, 'status', 'running'],
    ['lr < 1 and status = "SUCEEDED"', 21, 'status', 'succeeded'],
    ['recipe = demo-lora-stdlb', 10, 'recipe', 'demo-lora-stdlib'],
    ['host = locl', 8, 'host', 'local'],
    ['project = dmeo', 11, 'project', 'demo'],
    ['synthetic = ture', 13, 'value of synthetic', 'true'],
  ])('says %j is a typo, naming the allowed values, instead of matching nothing', async (filter, position, what, meant) => {
    const e = await filterError(filter);
    expect(e.position).toBe(position);
    expect(e.message).toContain(`is not a ${what}.`);
    expect(e.message).toContain(`Did you mean "${meant}"?`);
    expect(e.message).toMatch(new RegExp(`The ${what} is one of: .*\\b${meant}\\b`));
  });

  it('lists every status a typo could have meant, and refuses text after ~ that no allowed value contains', async () => {
    expect((await filterError('status = xyz')).message).toBe(
      'Filter error at position 10: "xyz" is not a status. The status is one of: queued, starting, pending, running, preempted, requeued, cancelling, succeeded, failed, cancelled, lost.',
    );
    expect((await filterError('status ~ sucess')).message).toMatch(/no status contains "sucess"/);
  });

  it('still takes every allowed value, in any case, and a valid value that no run has yet', async () => {
    expect((await table('status = SUCCEEDED')).matched).toBe(11);
    expect((await table('status ~ succ')).matched).toBe(11);
    expect((await table('recipe = axolotl')).matched).toBe(0); // a recipe no run used: an answer, not a typo
    expect((await table('synthetic = true and host != local')).matched).toBe(0);
    expect((await table('project = DEMO')).matched).toBe(12);
  });

  it('names every run adjective-noun-N, N its number in the project, and filters and sorts on the name', async () => {
    const t = await table('', { key: 'created', dir: 'asc' });
    const names = t.rows.map((r) => r.name);
    expect(names.every((n) => /^[a-z]+-[a-z]+-\d+$/.test(n))).toBe(true);
    expect(names.map((n) => Number(n.split('-')[2]))).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect((await engine.call('runs.get', { id: ids[2]! })).name).toBe(names[2]);
    const renamed = await engine.call('runs.annotate', { id: ids[2]!, name: '  warmup-test  ' });
    expect(renamed).toMatchObject({ id: ids[2], name: 'warmup-test' });
    expect((await table('name = warmup-test')).rows.map((r) => r.id)).toEqual([ids[2]]);
    expect((await table('name ~ "WARMUP"')).rows.map((r) => r.id)).toEqual([ids[2]]);
    const sorted = (await table('', { key: 'name', dir: 'asc' })).rows.map((r) => r.name);
    expect(sorted).toEqual([...sorted].sort((a, b) => a.localeCompare(b)));
    await expect(engine.call('runs.annotate', { id: ids[2]!, name: '   ' })).rejects.toMatchObject({ info: { code: 'VALIDATION_FAILED' } });
  });

  it('gives runs that existed before names came a name each, and names runs inserted afterwards', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.slice(0, 12), ':memory:');
    db.prepare("INSERT INTO projects (id, name, created_at, updated_at) VALUES ('P1', 'one', 0, 0), ('P2', 'two', 0, 0)").run();
    db.prepare("INSERT INTO hosts (id, name, kind, python, run_root, created_at) VALUES ('H', 'here', 'local', 'python3', '/tmp', 0)").run();
    const insert = db.prepare("INSERT INTO runs (id, project_id, host_id, recipe, params, status, remote_dir, created_at) VALUES (?, ?, 'H', 'custom', '{}', 'SUCCEEDED', '/x', ?)");
    insert.run('01JAAAAAAAAAAAAAAAAAAAAAA1', 'P1', 2);
    insert.run('01JAAAAAAAAAAAAAAAAAAAAZZ9', 'P1', 1);
    insert.run('01JAAAAAAAAAAAAAAAAAAAAAB2', 'P2', 3);
    migrate(db, MIGRATIONS, ':memory:');
    insert.run('01JAAAAAAAAAAAAAAAAAAAAMN7', 'P1', 4);
    const names = Object.fromEntries(db.prepare('SELECT id, name FROM runs').raw().all() as [string, string][]);
    expect(names['01JAAAAAAAAAAAAAAAAAAAAZZ9']).toMatch(/^[a-z]+-[a-z]+-1$/); // the oldest of P1
    expect(names['01JAAAAAAAAAAAAAAAAAAAAAA1']).toMatch(/^[a-z]+-[a-z]+-2$/);
    expect(names['01JAAAAAAAAAAAAAAAAAAAAAB2']).toMatch(/^[a-z]+-[a-z]+-1$/);
    expect(names['01JAAAAAAAAAAAAAAAAAAAAMN7']).toMatch(/^[a-z]+-[a-z]+-3$/);
    expect(new Set(Object.values(names).map((n) => n.replace(/-\d+$/, ''))).size).toBeGreaterThan(1); // words spread by id
    db.close();
  });

  it('offers as default columns the parameters that differ among the matched runs, not constant or mostly empty ones', async () => {
    expect((await table()).varies).toEqual(['params.lr', 'params.rank']); // twelve seeded runs share seed 0, steps and synthetic
    expect((await table('lr = 1e-4')).varies).not.toContain('params.lr');
    expect((await engine.call('runs.table', { limit: 1 })).varies).toEqual(['params.lr', 'params.rank']); // one project: no project column
  });
});
