// A run cancelled while its launch still uploads (QUEUED, maybe no directory on the host yet): the cancel
// is taken at once, and the launch, when its files are up, starts nothing. It used to fail on a workstation
// (no directory to put the cancel file in) or be overwritten by the launch's STARTING, and the run ran.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import { tempDir } from '../support/tunebench';
import { sleep, until } from '../support/wait';

let engine: Engine;

beforeAll(async () => {
  engine = openEngine({ dataDir: tempDir('tb-cancel-launch-'), knownHostsFiles: [], agentSocket: '', runSyncIntervalMs: 200, checkOutputs: true });
  await engine.call('projects.create', { name: 'p' });
});
afterAll(() => engine.close());

describe('a run cancelled while it is being launched', () => {
  it('is CANCELLED at once and never starts', async () => {
    // Enough code that its upload takes a while.
    const code = tempDir('tb-cancel-code-');
    for (let i = 0; i < 4000; i++) fs.writeFileSync(path.join(code, `part_${i}.py`), `# ${i}\n`.repeat(50));
    fs.writeFileSync(path.join(code, 'train.py'), 'print("should never run")\n');
    const launch = engine.call('runs.launch', { project: 'p', host: 'local', recipe: 'custom', params: { command: 'python3 train.py' }, code });
    const queued = await until('the run to be recorded', async () => (await engine.call('runs.list', { project: 'p' })).find((r) => r.status === 'QUEUED'), 60_000, 5);
    const cancelled = await engine.call('runs.cancel', { id: queued.id });
    expect(cancelled).toMatchObject({ status: 'CANCELLED', lastError: 'Cancelled while it was being launched; nothing of it ran.' });

    const launched = await launch;
    expect(launched.id).toBe(queued.id);
    expect(launched.status).toBe('CANCELLED');
    // Its files are up, a cancel file beside them, and no supervisor ever started.
    expect(fs.existsSync(path.join(launched.remoteDir, '.tb', 'cancel'))).toBe(true);
    await sleep(1500); // a sync pass or two
    expect(fs.existsSync(path.join(launched.remoteDir, '.tb', 'pid'))).toBe(false);
    expect(fs.existsSync(path.join(launched.remoteDir, 'logs', 'output.log'))).toBe(false);
    expect((await engine.call('runs.get', { id: queued.id })).status).toBe('CANCELLED');
  }, 120_000);
});
