// A run pinned to GPUs on a workstation (an app-driven sweep's trial) sees only those, as
// CUDA_VISIBLE_DEVICES in its run.json; a cluster refuses a list of GPU indices (SLURM gives them).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import { tempDir } from '../support/tunebench';

let engine: Engine;

beforeAll(async () => {
  engine = openEngine({ dataDir: tempDir('tb-gpus-'), knownHostsFiles: [], agentSocket: '', runSyncIntervalMs: 0, checkOutputs: true });
  await engine.call('projects.create', { name: 'p' });
});
afterAll(() => engine.close());

describe('launching on given GPUs', () => {
  it('sets CUDA_VISIBLE_DEVICES to exactly those', async () => {
    const run = await engine.call('runs.launch', { project: 'p', host: 'local', recipe: 'demo-lora-stdlib', params: { steps: 5 }, gpus: [0, 2] });
    const runJson = JSON.parse(fs.readFileSync(path.join(run.remoteDir, 'run.json'), 'utf8')) as { env: Record<string, string> };
    expect(runJson.env.CUDA_VISIBLE_DEVICES).toBe('0,2');
    await engine.call('runs.cancel', { id: run.id }).catch(() => undefined);
  });

  it('is refused on a SLURM cluster, before anything is recorded', async () => {
    await engine.call('hosts.add', { name: 'cluster', hostname: '127.0.0.1', slurm: {} });
    const before = (await engine.call('runs.list', { project: 'p' })).length;
    await expect(engine.call('runs.launch', { project: 'p', host: 'cluster', recipe: 'demo-lora-stdlib', params: { steps: 5 }, gpus: [0] })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/cluster is a SLURM cluster: SLURM gives a job its GPUs/),
    });
    expect((await engine.call('runs.list', { project: 'p' })).length).toBe(before);
  });
});
