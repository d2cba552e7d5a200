// The filter language and the runs table: what it keeps, how it sorts, and how it says what is wrong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
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
    await expect(table('', { key: 'nonsense.max', dir: 'asc' })).rejects.toThrow(/^Cannot sort by "nonsense.max": no run has a field, parameter or metric "nonsense.max". Try one of: id, status/);
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
});
