// What a SLURM launch leaves on the cluster's shared run root, with a login shell at umask 000: run
// directories, job-array folders, batch scripts, the job's own output files and the probe's folder all
// private (0700/0600).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import type { Run } from '../../src/shared/domain/run';
import { startSlurm, type TestSlurm } from '../support/slurm.mjs';
import { startSshd, type TestSshd } from '../support/sshd.mjs';
import { tempDir } from '../support/tunebench';

let slurm: TestSlurm;
let sshd: TestSshd;
let engine: Engine;
let runRoot: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForEnd(id: string, timeoutMs = 90_000): Promise<Run> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await engine.call('runs.sync', { id });
    if (['SUCCEEDED', 'FAILED', 'CANCELLED', 'LOST'].includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${id} still ${run.status}: ${run.lastError}`);
    await sleep(300);
  }
}

/** Everything under `root` (links not followed) that its group or others may read, write or enter. */
function notPrivate(root: string): string[] {
  const out: string[] = [];
  const visit = (p: string) => {
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) return;
    if (st.mode & 0o077) out.push(`${path.relative(root, p) || '.'} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const name of fs.readdirSync(p)) visit(path.join(p, name));
  };
  visit(root);
  return out;
}

beforeAll(async () => {
  slurm = await startSlurm();
  const home = tempDir('tb-home-');
  fs.writeFileSync(path.join(home, '.bashrc'), 'umask 000\n'); // the login shell's umask, for every command
  sshd = await startSshd({ env: { HOME: home } });
  runRoot = tempDir('tb-slurm-files-');
  engine = openEngine({ dataDir: tempDir('tb-slurm-'), knownHostsFiles: [], agentSocket: '', runSyncIntervalMs: 0, slurmQueueIntervalMs: { min: 200, max: 2000 } });
  await engine.call('projects.create', { name: 'cluster' });
  await engine.call('hosts.add', {
    name: 'hpc',
    hostname: '127.0.0.1',
    port: sshd.port,
    user: sshd.user,
    identityFile: sshd.clientKey,
    python: '/usr/bin/python3',
    runRoot,
    slurm: { setup: `. ${slurm.envFile}`, partition: 'low', time: '10' },
  });
  await engine.call('hosts.trust', { ref: 'hpc', fingerprint: sshd.hostKeyFingerprint });
}, 120_000);

afterAll(async () => {
  engine?.close();
  await slurm?.stop();
  await sshd?.stop();
});

describe('a SLURM launch', () => {
  it('leaves nothing on the run root that other users can read, a job array included', { timeout: 180_000 }, async () => {
    const probe = await engine.call('hosts.probe', { ref: 'hpc' }); // leaves <root>/probe behind
    expect(probe.slurm?.sharedRunRoot).toBe(true);
    const dataset = path.join(tempDir('tb-data-'), 'd.jsonl');
    fs.writeFileSync(dataset, '{"x": 1}\n');
    const code = tempDir('tb-code-');
    fs.writeFileSync(path.join(code, 'train.sh'), 'mkdir -p out && echo w > out/w.bin && echo done\n');
    const one = await engine.call('runs.launch', { project: 'cluster', host: 'hpc', recipe: 'custom', params: { command: 'sh train.sh' }, code, dataset });
    const array = await engine.call('runs.launchArray', { project: 'cluster', host: 'hpc', recipe: 'custom', params: { command: 'echo element' }, dataset, array: { count: 2 } });
    for (const r of [one, ...array]) expect((await waitForEnd(r.id)).status).toBe('SUCCEEDED');
    const [arrayDir] = fs.readdirSync(path.join(runRoot, 'arrays'));
    expect(fs.readdirSync(path.join(runRoot, 'arrays', arrayDir!)).some((f) => f.startsWith('slurm-'))).toBe(true);
    expect(fs.readdirSync(path.join(one.remoteDir, '.tb')).some((f) => f.startsWith('slurm-'))).toBe(true);
    expect(notPrivate(runRoot)).toEqual([]);
  });
});
