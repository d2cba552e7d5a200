// Runs on a real SLURM cluster on loopback: munged, slurmctld and two slurmd (n1, n2) started by the
// test, the login node reached through a real sshd. One node and two, a time limit that checkpoints and
// requeues, preemption by a higher-priority partition, cancel of a pending job, a running two-node job and
// a job array, a submission SLURM refuses, and a job cancelled from outside Tunebench.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import { CallError } from '../../src/main/rpc/dispatch';
import type { Run, RunStatus } from '../../src/shared/domain/run';
import { startSlurm, type TestSlurm } from '../support/slurm.mjs';
import { startSshd, type TestSshd } from '../support/sshd.mjs';
import { tempDir } from '../support/tunebench';

let slurm: TestSlurm;
let sshd: TestSshd;
let engine: Engine;
let runRoot: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'LOST'];

/** Syncs the run until `until` says so, keeping every status it went through. */
async function follow(id: string, until: (run: Run) => boolean, timeoutMs: number): Promise<{ run: Run; seen: RunStatus[] }> {
  const deadline = Date.now() + timeoutMs;
  const seen: RunStatus[] = [];
  for (;;) {
    const run = await engine.call('runs.sync', { id });
    if (seen[seen.length - 1] !== run.status) seen.push(run.status);
    if (until(run)) return { run, seen };
    if (Date.now() > deadline) throw new Error(`run ${id} still ${run.status} (went through ${seen.join(' -> ')}); last error: ${run.lastError}`);
    await sleep(300);
  }
}
const toEnd = (id: string, timeoutMs = 90_000) => follow(id, (r) => FINAL.includes(r.status), timeoutMs);

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return (err as CallError).info?.code ?? String(err);
  }
}

const file = (run: Run, name: string) => path.join(run.remoteDir, name);

/** Lines and points stored equal the run's files. */
async function expectExactCopy(run: Run) {
  const remoteLines = fs.readFileSync(file(run, 'logs/output.log'), 'utf8').split('\n').slice(0, -1);
  const stored = await engine.call('runs.logs', { id: run.id, limit: 100_000 });
  expect(stored.map((l) => l.text)).toEqual(remoteLines);
  const remote = fs
    .readFileSync(file(run, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => Object.entries(JSON.parse(l).m as Record<string, number>).map(([name, value]) => `${JSON.parse(l).seq}|${name}|${value}`))
    .sort();
  const points = (await engine.call('runs.metrics', { id: run.id }))
    .filter((p) => p.stream === 'metrics')
    .map((p) => `${p.seq}|${p.name}|${p.value}`)
    .sort();
  expect(points).toEqual(remote);
  expect(points.length).toBeGreaterThan(0);
}

/** Steps of the loss series as stored: each once, none missing. */
async function lossSteps(run: Run): Promise<number[]> {
  return (await engine.call('runs.metrics', { id: run.id, name: 'loss' })).map((p) => p.step!).sort((a, b) => a - b);
}

function processesOf(runId: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', runId], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter((l) => l && !l.includes('pgrep'));
  } catch {
    return [];
  }
}

const ourJobs = () => slurm.queue().filter((j) => j.name.startsWith('tb-'));

beforeAll(async () => {
  slurm = await startSlurm({ preemptGraceSeconds: 5 });
  sshd = await startSshd();
  runRoot = tempDir('tb-slurm-root-');
  fs.chmodSync(runRoot, 0o755);
  engine = openEngine({ dataDir: tempDir('tb-slurm-'), knownHostsFiles: [], agentSocket: '', runSyncIntervalMs: 0, checkOutputs: true, slurmQueueIntervalMs: { min: 200, max: 2000 } });
  await engine.call('projects.create', { name: 'cluster' });
  // SLURM's client configuration comes from the cluster's setup line, as `module load slurm` would.
  const common = { hostname: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.clientKey, python: '/usr/bin/python3', runRoot };
  await engine.call('hosts.add', { name: 'hpc', ...common, slurm: { setup: `. ${slurm.envFile}`, partition: 'low', time: '10' } });
  // The same login node, with a short warning before the time limit: what a test can wait for.
  // Its Python setting is a command line, as an activation would be: SLURM's USR2 must still reach the
  // supervisor (the batch shell's $! is then a subshell).
  await engine.call('hosts.add', { name: 'hpc-short', ...common, python: '. /dev/null && /usr/bin/python3', slurm: { setup: `. ${slurm.envFile}`, partition: 'low', signalSeconds: 90 } });
  await engine.call('hosts.trust', { ref: 'hpc', fingerprint: sshd.hostKeyFingerprint });
}, 60_000);

afterAll(async () => {
  engine?.close();
  await slurm?.stop();
  await sshd?.stop();
});

describe('a SLURM cluster', () => {
  it('probe: version, partitions with their limits, accounting off, and a run root the compute nodes share', async () => {
    const p = await engine.call('hosts.probe', { ref: 'hpc' });
    expect(p.slurm?.version).toMatch(/^\d+\.\d+/);
    expect(p.slurm?.partitions.map((x) => x.name).sort()).toEqual(['high', 'low', 'tiny']);
    expect(p.slurm?.partitions.find((x) => x.name === 'tiny')).toMatchObject({ maxNodes: 1, maxTimeSeconds: 300, nodes: 2 });
    expect(p.slurm?.partitions.find((x) => x.name === 'low')?.isDefault).toBe(true);
    expect(p.slurm?.accounting).toBe(false);
    expect(p.slurm?.sharedRunRoot).toBe(true);
    expect(p.slurm).toMatchObject({ computeSubmit: true, computeSubmitDetail: expect.stringMatching(/may submit jobs/) });
    expect(ourJobs()).toEqual([]); // the check job is gone
  }, 60_000);

  it('a submission over the partition limits is refused with what to change, and no run is recorded', async () => {
    const before = (await engine.call('runs.list', {})).length;
    const tooMany = codeOf(engine.call('runs.launch', { project: 'cluster', host: 'hpc', recipe: 'custom', params: { command: 'true' }, resources: { nodes: 2, partition: 'tiny' } }));
    expect(await tooMany).toBe('SLURM_SUBMIT_REFUSED');
    const err = await engine
      .call('runs.launch', { project: 'cluster', host: 'hpc', recipe: 'demo-lora-stdlib', params: { steps: 5 }, resources: { time: '30', partition: 'tiny' } })
      .catch((e: CallError) => e);
    expect((err as CallError).message).toMatch(/time limit.*Ask for less time/);
    expect(await codeOf(engine.call('runs.launch', { project: 'cluster', host: 'local', recipe: 'demo-lora-stdlib', resources: { nodes: 2 } }))).toBe('VALIDATION_FAILED');
    expect((await engine.call('runs.list', {})).length).toBe(before);
    expect(ourJobs()).toEqual([]);
  }, 60_000);

  it('a one-node run goes PENDING -> RUNNING -> SUCCEEDED, with its job id, and lines and points equal to its files', async () => {
    const launched = await engine.call('runs.launch', { project: 'cluster', host: 'hpc', recipe: 'demo-lora-stdlib', params: { steps: 20, sleep_per_step: 0.1 } });
    expect(launched.status).toBe('PENDING');
    expect(launched.job?.jobId).toMatch(/^\d+$/);
    expect(ourJobs().map((j) => j.id)).toContain(launched.job!.jobId);
    const { run, seen } = await toEnd(launched.id);
    expect(run.status).toBe('SUCCEEDED');
    expect(seen).toContain('RUNNING');
    expect(run.job?.nodes).toMatch(/^n[12]$/);
    expect(run.job?.resources).toMatchObject({ nodes: 1, partition: 'low', time: '10' });
    await expectExactCopy(run);
    expect(await lossSteps(run)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  }, 120_000);
});

describe('following a queue', () => {
  it('40 queued runs: one squeue per tick for all of them, each PENDING with its reason', async () => {
    // A squeue on the login node's PATH that counts its calls.
    const shim = path.join(runRoot, 'shim');
    fs.mkdirSync(shim, { recursive: true });
    const count = path.join(runRoot, 'squeue-calls');
    fs.writeFileSync(path.join(shim, 'squeue'), `#!/bin/sh\necho x >> ${count}\nexec /usr/bin/squeue "$@"\n`, { mode: 0o755 });
    const calls = () => (fs.existsSync(count) ? fs.readFileSync(count, 'utf8').split('\n').filter(Boolean).length : 0);
    await engine.call('hosts.add', {
      name: 'hpc-counted',
      hostname: '127.0.0.1',
      port: sshd.port,
      user: sshd.user,
      identityFile: sshd.clientKey,
      python: '/usr/bin/python3',
      runRoot,
      slurm: { setup: `. ${slurm.envFile}; export PATH=${shim}:$PATH` },
    });
    const blocker = slurm.run('sbatch', ['--parsable', '--nodes=2', '--job-name=blocker', '--output=/dev/null', '--wrap', 'sleep 120']).trim();
    try {
      const runs = await engine.call('runs.launchArray', { project: 'cluster', host: 'hpc-counted', recipe: 'custom', params: { command: 'true' }, array: { count: 40 } });
      const before = calls();
      for (let tick = 0; tick < 3; tick++) {
        await sleep(300); // past the test engine's 200 ms minimum
        const synced = await Promise.all(runs.map((r) => engine.call('runs.sync', { id: r.id })));
        expect(synced.every((r) => r.status === 'PENDING')).toBe(true);
      }
      expect(calls() - before).toBeGreaterThanOrEqual(1);
      expect(calls() - before).toBeLessThanOrEqual(3);
      const one = await engine.call('runs.get', { id: runs[5]!.id });
      expect(one.job?.reason).toMatch(/Resources|Priority|JobArrayTaskLimit/);
      for (const r of runs) await engine.call('runs.cancel', { id: r.id });
    } finally {
      slurm.run('scancel', [blocker]);
    }
    await slurm.waitFor(() => !ourJobs().some((j) => ['PENDING', 'RUNNING', 'COMPLETING'].includes(j.state)), 30_000, 'an empty queue');
  }, 120_000);
});

describe('several nodes, time limits and preemption', () => {
  it('a two-node torchrun run: both ranks report in, the head address resolved, per-rank logs in the tracker', async () => {
    const launched = await engine.call('runs.launch', {
      project: 'cluster',
      host: 'hpc',
      recipe: 'demo-lora-torch',
      params: { steps: 12, pretrain_steps: 10, eval_every: 6, d_model: 32, layers: 1, heads: 2 },
      resources: { nodes: 2 },
    });
    const { run } = await toEnd(launched.id, 150_000);
    if (run.status !== 'SUCCEEDED') console.log(fs.readFileSync(file(run, 'logs/output.log'), 'utf8').slice(-3000));
    expect(run.status).toBe('SUCCEEDED');
    expect(run.job?.nodes).toBe('n[1-2]');
    const lines = (await engine.call('runs.logs', { id: run.id, limit: 100_000 })).map((l) => l.text);
    // Each node's lines carry its node rank; torchrun numbers the workers in rendezvous order, so worker
    // 0 and 1 are on different nodes, in either order.
    const ready = lines.map((l) => /^\[rank (\d)\] .*rank (\d)\/2 .* ready/.exec(l)).filter((m) => m !== null);
    expect(ready.map((m) => m[2]).sort()).toEqual(['0', '1']);
    expect(ready.map((m) => m[1]).sort()).toEqual(['0', '1']);
    expect(lines.filter((l) => /preflight: node n\d \(rank \d\) reaches the head at 127\.0\.0\.1/.test(l)).length).toBe(2);
    // Kept apart per rank as well, on the host.
    expect(fs.readFileSync(file(run, 'logs/rank-1.log'), 'utf8')).toMatch(/preflight: node n\d \(rank 1\)[\s\S]*rank \d\/2 on .* ready/);
    const events = fs.readFileSync(file(run, 'events.jsonl'), 'utf8');
    const nodes = events
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event: string; headAddr?: string; head?: string })
      .find((e) => e.event === 'nodes');
    expect(nodes).toMatchObject({ head: 'n1', headAddr: '127.0.0.1' }); // NodeAddr from scontrol: "n1" does not resolve here
    await expectExactCopy(run);
    expect(await lossSteps(run)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1)); // rank 0 alone writes metrics
  }, 180_000);

  it('a short time limit: USR2, checkpoint, requeue, resume; metrics without gap or duplicate across the attempts', async () => {
    const launched = await engine.call('runs.launch', {
      project: 'cluster',
      host: 'hpc-short',
      recipe: 'demo-lora-stdlib',
      params: { steps: 90, sleep_per_step: 0.5, eval_every: 30 },
      // USR2 90 s before a 2-minute limit (SLURM may send it up to a minute late or early): on a loaded
      // machine the checkpoint and requeue must still finish before SLURM kills the job.
      resources: { time: '2' },
    });
    const { run, seen } = await toEnd(launched.id, 240_000);
    if (run.status !== 'SUCCEEDED') console.log(seen, run.lastError, fs.readFileSync(file(run, 'logs/output.log'), 'utf8').slice(-2000));
    expect(run.status).toBe('SUCCEEDED');
    expect(run.job?.attempt).toBeGreaterThanOrEqual(1);
    expect(seen).toContain('REQUEUED');
    expect(seen).not.toContain('FAILED');
    expect(await lossSteps(run)).toEqual(Array.from({ length: 90 }, (_, i) => i + 1));
    await expectExactCopy(run);
    const log = fs.readFileSync(file(run, 'logs/output.log'), 'utf8');
    expect(log).toMatch(/checkpoint requested: saved step \d+/);
    expect(log).toMatch(/Resuming from checkpoint .* at step \d+ \(attempt 1\)/);
    const markers = await engine.call('runs.markers', { id: run.id });
    expect(markers.some((m) => m.kind === 'restart' && /attempt 2/.test(m.detail))).toBe(true);
  }, 300_000);

  it('preemption by the high partition: the run checkpoints, is requeued, resumes and succeeds', async () => {
    const launched = await engine.call('runs.launch', { project: 'cluster', host: 'hpc', recipe: 'demo-lora-stdlib', params: { steps: 60, sleep_per_step: 0.25, eval_every: 20 } });
    await follow(launched.id, (r) => r.status === 'RUNNING' && r.metricPoints > 20, 60_000);
    // A job on both nodes of the high partition needs the low run's node.
    slurm.run('sbatch', ['--parsable', '--partition=high', '--nodes=2', '--job-name=urgent', '--output=/dev/null', '--wrap', 'sleep 3']);
    const preempted = await follow(launched.id, (r) => ['PREEMPTED', 'REQUEUED'].includes(r.status), 60_000);
    expect(preempted.seen).not.toContain('FAILED');
    const { run, seen } = await toEnd(launched.id, 180_000);
    if (run.status !== 'SUCCEEDED') console.log(seen, run.lastError, fs.readFileSync(file(run, 'logs/output.log'), 'utf8').slice(-2000));
    expect(run.status).toBe('SUCCEEDED');
    expect(run.job?.attempt).toBe(1);
    expect(await lossSteps(run)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    await expectExactCopy(run);
  }, 300_000);
});

describe('cancel on a cluster', () => {
  it('a pending job is cancelled at once; a running two-node job and a job array leave no job and no process', async () => {
    // Both nodes busy: the run waits in the queue with SLURM's reason.
    const blocker = slurm.run('sbatch', ['--parsable', '--nodes=2', '--job-name=blocker', '--output=/dev/null', '--wrap', 'sleep 60']).trim();
    const pending = await engine.call('runs.launch', { project: 'cluster', host: 'hpc', recipe: 'demo-lora-stdlib', params: { steps: 5 } });
    const waiting = await follow(pending.id, (r) => r.job?.reason !== null && r.job?.reason !== '', 20_000);
    expect(waiting.run.status).toBe('PENDING');
    expect(waiting.run.job?.reason).toMatch(/Resources|Priority/);
    const cancelled = await engine.call('runs.cancel', { id: pending.id });
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.lastError).toMatch(/waited in the queue/);
    await slurm.waitFor(() => !ourJobs().some((j) => j.id === pending.job!.jobId && !['CANCELLED', 'COMPLETED'].includes(j.state)), 10_000, 'the pending job to leave the queue');
    slurm.run('scancel', [blocker]);

    // A running two-node job: scancel, then the supervisor's own group kill.
    const two = await engine.call('runs.launch', { project: 'cluster', host: 'hpc', recipe: 'custom', params: { command: 'echo node $SLURM_NODEID up; sleep 120' }, resources: { nodes: 2 } });
    await follow(two.id, (r) => r.status === 'RUNNING' && r.logLines >= 2, 30_000);
    expect(processesOf(two.id).length).toBeGreaterThan(0);
    await engine.call('runs.cancel', { id: two.id });
    const ended = await toEnd(two.id, 60_000);
    expect(ended.run.status).toBe('CANCELLED');
    await slurm.waitFor(() => processesOf(two.id).length === 0, 20_000, 'no process of the two-node run');
    expect(slurm.queue().filter((j) => j.id === two.job!.jobId && !['CANCELLED', 'COMPLETED', 'COMPLETING'].includes(j.state))).toEqual([]);

    // A job array: three runs, one at a time; the first runs, the others wait; cancel them all.
    const runs = await engine.call('runs.launchArray', { project: 'cluster', host: 'hpc', recipe: 'custom', params: { command: 'sleep 120' }, array: { count: 3, throttle: 1 } });
    expect(runs.map((r) => r.job?.jobId.replace(/^\d+_/, ''))).toEqual(['0', '1', '2']);
    expect(new Set(runs.map((r) => r.remoteDir)).size).toBe(3);
    await follow(runs[0]!.id, (r) => r.status === 'RUNNING', 30_000);
    expect((await engine.call('runs.sync', { id: runs[1]!.id })).status).toBe('PENDING');
    for (const r of runs) await engine.call('runs.cancel', { id: r.id });
    for (const r of runs) {
      const e = await toEnd(r.id, 60_000);
      if (e.run.status !== 'CANCELLED') console.log(e.run.job, e.run.lastError, e.seen, slurm.run('squeue', ['-h', '-r', '-t', 'all', '-o', '%i|%T|%j|%F|%K']));
      expect(e.run.status).toBe('CANCELLED');
    }
    await slurm.waitFor(() => runs.every((r) => processesOf(r.id).length === 0), 20_000, 'no process of the array');
    await slurm.waitFor(() => !slurm.queue().some((j) => ['PENDING', 'RUNNING', 'COMPLETING'].includes(j.state)), 20_000, 'an empty queue');
  }, 180_000);

  it('a cancel that finds the job started since the run was last read stops it through its supervisor, never "nothing of it ran"', async () => {
    const run = await engine.call('runs.launch', { project: 'cluster', host: 'hpc', recipe: 'custom', params: { command: 'echo started; sleep 120' } });
    // SLURM runs it; the app has not read it since the launch (no sync here), so it still says PENDING.
    await slurm.waitFor(() => slurm.queue().some((j) => j.id === run.job!.jobId && j.state === 'RUNNING'), 30_000, 'the job to run');
    await slurm.waitFor(() => fs.existsSync(path.join(run.remoteDir, '.tb', 'pid')), 30_000, 'its supervisor to start');
    expect((await engine.call('runs.get', { id: run.id })).status).toBe('PENDING');
    const cancelling = await engine.call('runs.cancel', { id: run.id });
    expect(cancelling.status).toBe('CANCELLING');
    const ended = await toEnd(run.id, 60_000);
    expect(ended.run.status).toBe('CANCELLED');
    expect(ended.run.lastError ?? '').not.toMatch(/nothing of it ran/);
    expect(fs.readFileSync(path.join(run.remoteDir, '.tb', 'exit_code'), 'utf8').trim()).not.toBe('');
    await slurm.waitFor(() => processesOf(run.id).length === 0, 20_000, 'no process of the run');
  }, 120_000);

  it('a job cancelled outside Tunebench is CANCELLED with that reason, never FAILED or SUCCEEDED', async () => {
    const run = await engine.call('runs.launch', { project: 'cluster', host: 'hpc', recipe: 'custom', params: { command: 'sleep 120' } });
    await follow(run.id, (r) => r.status === 'RUNNING', 30_000);
    slurm.run('scancel', [run.job!.jobId]);
    const { run: ended } = await toEnd(run.id, 60_000);
    expect(ended.status).toBe('CANCELLED');
    expect(ended.lastError).toMatch(/outside Tunebench/);
  }, 120_000);
});

describe('launches SLURM refuses before anything is recorded', () => {
  it('a time limit inside the checkpoint warning, and several nodes for a one-node recipe', async () => {
    const before = (await engine.call('runs.list', {})).length;
    const tooShort = await engine.call('runs.launch', { project: 'cluster', host: 'hpc', recipe: 'demo-lora-stdlib', resources: { time: '2' } }).catch((e: CallError) => e);
    expect((tooShort as CallError).info?.code).toBe('VALIDATION_FAILED');
    expect((tooShort as CallError).message).toMatch(/warns the run 120 s before its limit/);
    const oneNode = await engine.call('runs.launch', { project: 'cluster', host: 'hpc', recipe: 'demo-lora-stdlib', resources: { nodes: 2 } }).catch((e: CallError) => e);
    expect((oneNode as CallError).message).toMatch(/runs on one node/);
    expect((await engine.call('runs.list', {})).length).toBe(before);
  });
});
