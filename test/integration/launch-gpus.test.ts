// A run pinned to GPUs on a workstation (an app-driven sweep's trial) sees only those, as
// CUDA_VISIBLE_DEVICES in its run.json; a cluster refuses a list of GPU indices (SLURM gives them).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import { cli, tempDir } from '../support/tunebench';

let engine: Engine;
let dataDir: string;

beforeAll(async () => {
  dataDir = tempDir('tb-gpus-');
  engine = openEngine({ dataDir, knownHostsFiles: [], agentSocket: '', runSyncIntervalMs: 0, checkOutputs: true });
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

  it('is asked for with run launch --gpus, and a list that is not indices is refused with the form to use', () => {
    const bad = cli(['run', 'launch', '--project', 'p', '--host', 'local', '--recipe', 'demo-lora-stdlib', '--gpus', 'first'], { dataDir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--gpus takes GPU indices separated by commas, e\.g\. --gpus 0,2 \(not "first"\)/);
    const ok = cli(['run', 'launch', '--project', 'p', '--host', 'local', '--recipe', 'demo-lora-stdlib', '--param', 'steps=5', '--gpus', '1, 3', '--json'], { dataDir });
    expect(ok.code, ok.stderr).toBe(0);
    const run = JSON.parse(ok.stdout) as { remoteDir: string };
    expect((JSON.parse(fs.readFileSync(path.join(run.remoteDir, 'run.json'), 'utf8')) as { env: Record<string, string> }).env.CUDA_VISIBLE_DEVICES).toBe('1,3');
  });
});
