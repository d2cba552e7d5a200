// A real two-node SLURM on loopback, its login node through a real sshd: how long a submitted run takes to
// be seen RUNNING beside `sbatch --wrap true` polled with squeue; and what following 200 queued runs costs
// per tick (asserted: one squeue per cluster per tick, counted by a squeue wrapper on the login node's PATH).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startSlurm } from '../test/support/slurm.mjs';
import { startSshd } from '../test/support/sshd.mjs';
import { median, ms, ratio, ROOT, runSync, tempDir, until as untilTrue } from './util.mjs';

const require = createRequire(import.meta.url);
const { openEngine } = require(path.join(ROOT, 'dist/node/main/app.js'));
const sleep = (t) => new Promise((r) => setTimeout(r, t));

const until = (what, timeoutMs, fn) => untilTrue(what, fn, timeoutMs, 50);

/** A squeue that counts its calls: the login node's PATH starts with it. */
function squeueCounter(dir) {
  const bin = path.join(dir, 'shim');
  fs.mkdirSync(bin, { recursive: true });
  const count = path.join(dir, 'squeue-calls');
  fs.writeFileSync(path.join(bin, 'squeue'), `#!/bin/sh\necho x >> ${count}\nexec /usr/bin/squeue "$@"\n`, { mode: 0o755 });
  return { bin, calls: () => (fs.existsSync(count) ? fs.readFileSync(count, 'utf8').split('\n').filter(Boolean).length : 0) };
}

async function figure() {
  const slurm = await startSlurm();
  const sshd = await startSshd();
  const dir = tempDir('tb-bench-slurm-');
  fs.chmodSync(dir, 0o755);
  const counter = squeueCounter(dir);
  const engine = openEngine({ dataDir: tempDir(), knownHostsFiles: [], agentSocket: '' }); // the app's queue intervals: 2 s, up to 60 s
  try {
    await engine.call('projects.create', { name: 'bench' });
    await engine.call('hosts.add', {
      name: 'hpc',
      hostname: '127.0.0.1',
      port: sshd.port,
      user: sshd.user,
      identityFile: sshd.clientKey,
      python: '/usr/bin/python3',
      runRoot: dir,
      slurm: { setup: `. ${slurm.envFile}; export PATH=${counter.bin}:$PATH` },
    });
    await engine.call('hosts.trust', { ref: 'hpc', fingerprint: sshd.hostKeyFingerprint });
    await engine.call('hosts.probe', { ref: 'hpc' }); // warm the connection, as an open app has it

    // Submit to RUNNING: ours from the launch call (upload over SSH, sbatch --test-only, sbatch) to the tracker
    // saying RUNNING; the baseline from sbatch of `true` to squeue no longer showing it PENDING.
    const ours = [];
    const base = [];
    const launchMs = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const run = await engine.call('runs.launch', { project: 'bench', host: 'hpc', recipe: 'custom', params: { command: 'sleep 1' } });
      launchMs.push(performance.now() - t0);
      await until('the run to be RUNNING', 60_000, async () => ['RUNNING', 'SUCCEEDED'].includes((await engine.call('runs.sync', { id: run.id })).status));
      ours.push(performance.now() - t0);
      await until('the run to end', 60_000, async () => (await engine.call('runs.sync', { id: run.id })).status === 'SUCCEEDED');
      const t1 = performance.now();
      const id = slurm.run('sbatch', ['--parsable', '--output=/dev/null', '--wrap', 'true']).trim();
      await until('the baseline job to start', 60_000, () => {
        const line = slurm.run('squeue', ['-h', '-j', id, '-o', '%T']).trim();
        return line !== 'PENDING';
      });
      base.push(performance.now() - t1);
      await slurm.waitForEmptyQueue(30_000);
    }

    // 200 queued runs (one job array, behind a job holding both nodes): ticks of syncing every one of them.
    const blocker = slurm.run('sbatch', ['--parsable', '--nodes=2', '--output=/dev/null', '--wrap', 'sleep 600']).trim();
    const runs = await engine.call('runs.launchArray', { project: 'bench', host: 'hpc', recipe: 'custom', params: { command: 'true' }, array: { count: 200 } });
    const ticks = 5;
    const before = counter.calls();
    const tickMs = [];
    for (let t = 0; t < ticks; t++) {
      await sleep(2100); // past the 2 s minimum interval, so every tick reads the queue
      const t0 = performance.now();
      await Promise.all(runs.map((r) => engine.call('runs.sync', { id: r.id })));
      tickMs.push(performance.now() - t0);
    }
    const calls = counter.calls() - before;
    if (calls > ticks) throw new Error(`${calls} squeue calls for ${ticks} ticks over 200 runs: expected one per tick`);
    const pending = (await Promise.all(runs.map((r) => engine.call('runs.get', { id: r.id })))).filter((r) => r.status === 'PENDING').length;
    if (pending !== 200) throw new Error(`${pending} of 200 runs PENDING`);
    const t0 = performance.now();
    runSync(
      '`ssh host squeue`',
      'ssh',
      [
        '-i',
        sshd.clientKey,
        '-p',
        String(sshd.port),
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'BatchMode=yes',
        `${sshd.user}@127.0.0.1`,
        `. ${slurm.envFile}; /usr/bin/squeue -h -r -t all -u root >/dev/null`,
      ],
      { stdio: 'ignore' },
      60_000,
    );
    const sshSqueue = performance.now() - t0;
    slurm.run('scancel', [blocker]);
    for (const r of runs) await engine.call('runs.cancel', { id: r.id }).catch(() => {});
    return [
      {
        name: `SLURM: submit to RUNNING (1 node; launch call ${ms(median(launchMs))})`,
        ours: ms(median(ours)),
        baseline: ms(median(base)),
        baselineName: 'sbatch --wrap true, squeue polled every 50 ms',
        ratio: ratio(median(ours), median(base)),
      },
      {
        name: `SLURM: a tick over 200 queued runs (${calls} squeue for ${ticks} ticks)`,
        ours: ms(median(tickMs)),
        baseline: ms(sshSqueue),
        baselineName: 'one `ssh login squeue` (new connection)',
        ratio: ratio(median(tickMs), sshSqueue),
      },
    ];
  } finally {
    engine.close();
    await slurm.stop();
    await sshd.stop();
  }
}

export const figures = [{ name: 'SLURM submit and queue polling', run: figure }];
