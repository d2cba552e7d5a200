import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import { CallError } from '../../src/main/rpc/dispatch';
import { tempDir } from '../support/tunebench';

let engine: Engine;
beforeEach(() => {
  engine = openEngine({ dataDir: tempDir(), checkOutputs: true });
});
afterEach(() => engine.close());

async function expectCode(p: Promise<unknown>, code: string) {
  await expect(p).rejects.toBeInstanceOf(CallError);
  await expect(p).rejects.toMatchObject({ info: { code } });
}

describe('projects', () => {
  it('are created with a ULID, trimmed fields and timestamps, and found by id or by name in any case', async () => {
    const p = await engine.call('projects.create', { name: '  Llama SFT ', description: ' first try ', baseModel: ' meta-llama/Llama-3.1-8B ' });
    expect(p).toMatchObject({ name: 'Llama SFT', description: 'first try', baseModel: 'meta-llama/Llama-3.1-8B', archived: false });
    expect(p.createdAt).toBe(p.updatedAt);
    expect(await engine.call('projects.get', { ref: p.id })).toEqual(p);
    expect(await engine.call('projects.get', { ref: 'llama sft' })).toEqual(p);
  });

  it('refuses a duplicate name, ignoring case, and keeps the first', async () => {
    const first = await engine.call('projects.create', { name: 'Alpha' });
    await expectCode(engine.call('projects.create', { name: 'ALPHA', description: 'dup' }), 'PROJECT_NAME_TAKEN');
    expect(await engine.call('projects.list', {})).toEqual([first]);
  });

  it('renames, refusing a name another project has, and leaves both unchanged then', async () => {
    const a = await engine.call('projects.create', { name: 'a' });
    const b = await engine.call('projects.create', { name: 'b' });
    await expectCode(engine.call('projects.rename', { ref: a.id, name: 'B' }), 'PROJECT_NAME_TAKEN');
    expect((await engine.call('projects.get', { ref: a.id })).name).toBe('a');
    expect((await engine.call('projects.get', { ref: b.id })).name).toBe('b');
    const renamed = await engine.call('projects.rename', { ref: 'a', name: 'A' }); // a change of case is fine
    expect(renamed.name).toBe('A');
    expect(renamed.updatedAt).toBeGreaterThanOrEqual(a.updatedAt);
  });

  it('describes: changes only what is given', async () => {
    const p = await engine.call('projects.create', { name: 'p', description: 'd', baseModel: 'm' });
    expect(await engine.call('projects.describe', { ref: p.id, baseModel: 'other' })).toMatchObject({ description: 'd', baseModel: 'other' });
    expect(await engine.call('projects.describe', { ref: p.id, description: '' })).toMatchObject({ description: '', baseModel: 'other' });
    await expectCode(engine.call('projects.describe', { ref: p.id }), 'VALIDATION_FAILED');
  });

  it('archives: hidden from the default list, kept with includeArchived, and brought back', async () => {
    const p = await engine.call('projects.create', { name: 'old' });
    await engine.call('projects.archive', { ref: p.id, archived: true });
    expect(await engine.call('projects.list', {})).toEqual([]);
    expect((await engine.call('projects.list', { includeArchived: true }))[0]).toMatchObject({ id: p.id, archived: true });
    expect(await engine.call('projects.archive', { ref: 'old', archived: false })).toMatchObject({ archived: false });
  });

  it('reports an unknown project with PROJECT_NOT_FOUND', async () => {
    await expectCode(engine.call('projects.get', { ref: 'ghost' }), 'PROJECT_NOT_FOUND');
    await expectCode(engine.call('projects.rename', { ref: '01ARZ3NDEKTSV4RRFFQ69G5FAV', name: 'x' }), 'PROJECT_NOT_FOUND');
  });

  it('emits projects.changed for each change', async () => {
    const seen: (string | null)[] = [];
    engine.events.on('projects.changed', (e) => seen.push(e.projectId));
    const p = await engine.call('projects.create', { name: 'x' });
    await engine.call('projects.rename', { ref: p.id, name: 'y' });
    expect(seen).toEqual([p.id, p.id]);
  });
});
