import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import { tempDir } from '../support/tunebench';

let engine: Engine;
const call = (method: unknown, input: unknown) => engine.dispatch(method, input, { transport: 'direct' });

beforeEach(() => {
  engine = openEngine({ dataDir: tempDir(), checkOutputs: true });
});
afterEach(() => engine.close());

describe('the dispatcher', () => {
  it('answers a valid call with {ok: true, data}', async () => {
    const r = await call('projects.create', { name: 'alpha', baseModel: 'Qwen/Qwen2.5-0.5B' });
    expect(r.ok).toBe(true);
    expect(r.ok && (r.data as { name: string }).name).toBe('alpha');
  });

  it.each([['nope.method'], [''], [42], [null], [{ method: 'projects.list' }], ['__proto__'], ['constructor'], ['toString']])('refuses unknown method %j with UNKNOWN_METHOD', async (method) => {
    const r = await call(method, {});
    expect(r).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
  });

  it.each([
    ['wrong types', { name: 42 }],
    ['extra fields', { name: 'ok', admin: true }],
    ['a non-object', 'projects'],
    ['an array', [{ name: 'x' }]],
    ['null', null],
    ['a huge name', { name: 'x'.repeat(2_000_000) }],
    ['a huge description', { name: 'fine', description: 'y'.repeat(50_000) }],
    ['an empty name', { name: '   ' }],
  ])('refuses %s with VALIDATION_FAILED and stores nothing', async (_label, input) => {
    const r = await call('projects.create', input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('VALIDATION_FAILED');
    expect(r.error.message.length).toBeLessThan(500); // never echoes a huge input back
    await expect(engine.call('projects.list', { includeArchived: true })).resolves.toEqual([]);
  });

  it('names the field at fault in the validation details', async () => {
    const r = await call('projects.rename', { ref: 'x', name: 7 });
    expect(r).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', details: { issues: [{ path: 'name' }] } } });
  });

  it('turns an unexpected failure into INTERNAL instead of throwing', async () => {
    engine.db.exec('DROP TABLE projects');
    const r = await call('projects.list', {});
    expect(r).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
  });

  it('maps a full disk to DISK_FULL with what to do', async () => {
    // SQLite's max_page_count makes the database "full" for real, without filling the machine's disk.
    const pages = engine.db.pragma('page_count', { simple: true }) as number;
    engine.db.pragma(`max_page_count = ${pages + 1}`);
    let result;
    for (let i = 0; i < 200; i++) {
      result = await call('projects.create', { name: `p${i}`, description: 'z'.repeat(9000) });
      if (!result.ok) break;
    }
    expect(result).toMatchObject({ ok: false, error: { code: 'DISK_FULL' } });
    expect((result as { error: { message: string } }).error.message).toMatch(/Free some space/);
    // What was stored before stays intact and readable.
    const listed = await call('projects.list', {});
    expect(listed.ok).toBe(true);
    expect(fs.existsSync(engine.databasePath)).toBe(true);
  });
});
