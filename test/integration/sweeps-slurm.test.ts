// A sweep on a real SLURM cluster (two nodes of 2 CPUs on loopback, the login node through a real sshd):
// every trial is a job of its own named tb-<run id>, submitted by the sweep's scheduler, itself a 1-CPU
// job named tb-sweep-<id>. The scheduler's job is cancelled once mid-sweep; the app submits it again and
// it resumes from its decision file without submitting any trial twice. Stopped trials end CANCELLED
// with their job gone; the best trial is the one the objective says.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import { CallError } from '../../src/main/rpc/dispatch';
import { startSlurm, type TestSlurm } from '../support/slurm.mjs';
import { startSshd, type TestSshd } from '../support/sshd.mjs';
import { ROOT, tempDir } from '../support/tunebench';
import { codeOf, until as waitUntil } from '../support/wait';

const until = <T>(what: string, check: () => Promise<T | false | undefined> | T | false | undefined, timeoutMs = 90_000) => waitUntil(what, check, timeoutMs, 100);

let slurm: TestSlurm;
let sshd: TestSshd;
let engine: Engine;
let runRoot: string;

/** Every job SLURM still knows (finished ones too, for MinJobAge = 5 min): id, state, name. */
const allJobs = () =>
  slurm
    .run('squeue', ['-h', '-t', 'all', '-o', '%i|%T|%j'])
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [id, state, name] = l.trim().split('|');
      return { id: id!, state: state!, name: name! };
    });

/** Jobs that ended, as SLURM's job completion log (jobcomp/filetxt) has them: job id and name. */
const completedJobs = () =>
  fs.existsSync(path.join(slurm.dir, 'jobcomp.txt'))
    ? fs
        .readFileSync(path.join(slurm.dir, 'jobcomp.txt'), 'utf8')
        .split('\n')
        .map((l) => ({ id: /JobId=(\d+)/.exec(l)?.[1], name: /Name=(\S+)/.exec(l)?.[1] }))
        .filter((j) => j.id && j.name)
    : [];

const SWEEP = (extra = '') => `
project: hpc-sweep
host: hpc
recipe: demo-lora-stdlib
method: {name: asha, eta: 3, min_resource: 10, max_resource: 60, resource: step}
trials: 6
concurrency: 3
seed: 11
params:
  lr: {loguniform: [0.05, 20.0]}
  rank: {choice: [2, 4, 8]}
  eval_every: 10
  sleep_per_step: 0.06
${extra}`;

beforeAll(async () => {
  // 2 CPUs per node: the scheduler's 1-CPU job and 3 one-CPU trials at once.
  slurm = await startSlurm({ cpusPerNode: 2 });
  sshd = await startSshd();
  runRoot = tempDir('tb-sweep-slurm-root-');
  fs.chmodSync(runRoot, 0o755);
  engine = openEngine({
    dataDir: tempDir('tb-sweep-slurm-'),
    knownHostsFiles: [],
    agentSocket: '',
    runSyncIntervalMs: 200,
    checkOutputs: true,
    slurmQueueIntervalMs: { min: 200, max: 1000 },
  });
  await engine.call('projects.create', { name: 'hpc-sweep' });
  await engine.call('projects.setObjective', { ref: 'hpc-sweep', metric: 'eval_loss', goal: 'minimize' });
  const common = { hostname: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.clientKey, python: '/usr/bin/python3', runRoot };
  await engine.call('hosts.add', { name: 'hpc', ...common, slurm: { setup: `. ${slurm.envFile}`, partition: 'low', time: '10' } });
  await engine.call('hosts.add', { name: 'hpc-nowhere', ...common, slurm: { setup: `. ${slurm.envFile}`, partition: 'nosuch' } });
  await engine.call('hosts.add', { name: 'hpc-nosubmit', ...common, slurm: { setup: `. ${slurm.envFile}`, partition: 'low', time: '10' } });
  await engine.call('hosts.trust', { ref: 'hpc', fingerprint: sshd.hostKeyFingerprint });
}, 120_000);

// A failed test prints what the cluster side saw: a CI log is all there is to go on.
let sweepDir: string | undefined;
afterEach((ctx) => {
  if (ctx.task.result?.state !== 'fail' || !sweepDir) return;
  const tail = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').slice(-40).join('\n') : '(none)');
  const parts = [`decisions:\n${tail(path.join(sweepDir, 'decisions.jsonl'))}`, `scheduler.log:\n${tail(path.join(sweepDir, '.tb', 'scheduler.log'))}`];
  parts.push(
    `squeue -t all:\n${allJobs()
      .map((j) => `${j.id} ${j.state} ${j.name}`)
      .join('\n')}`,
  );
  for (const run of fs.existsSync(path.join(runRoot, 'runs')) ? fs.readdirSync(path.join(runRoot, 'runs')) : []) {
    const tb = path.join(runRoot, 'runs', run, '.tb');
    const jobLogs = fs.existsSync(tb) ? fs.readdirSync(tb).filter((f) => f.startsWith('slurm-')) : [];
    parts.push(
      `trial ${run}: exit_code=${tail(path.join(tb, 'exit_code')).trim()} cancel=${fs.existsSync(path.join(tb, 'cancel'))}\n${tail(path.join(tb, 'supervisor.log'))}`,
      ...jobLogs.map((f) => `${f}:\n${tail(path.join(tb, f))}`),
    );
  }
  console.error(parts.join('\n\n'));
});

afterAll(async () => {
  engine?.close();
  await slurm?.stop();
  await sshd?.stop();
});

describe('a sweep on a SLURM cluster', () => {
  it('says so with a code and a sentence when SLURM would not take its scheduler job, and places nothing', async () => {
    const created = await engine.call('sweeps.create', { text: SWEEP('name: nowhere').replace('host: hpc', 'host: hpc-nowhere'), fileName: 'nowhere.yaml' });
    const err = await engine.call('sweeps.start', { sweep: created.id }).catch((e: CallError) => e);
    expect((err as CallError).info.code).toBe('SLURM_SUBMIT_REFUSED');
    expect((err as CallError).message).toMatch(/refused the sweep's scheduler job \(1 CPU.*partition/i);
    expect((await engine.call('sweeps.get', { sweep: created.id })).status).toBe('DRAFT');
    expect(fs.existsSync(path.join(runRoot, 'sweeps'))).toBe(false);
    expect((await engine.call('runs.list', { project: 'hpc-sweep' })).length).toBe(0);
    expect(allJobs()).toEqual([]);
    await engine.call('sweeps.stop', { sweep: created.id });
  }, 60_000);

  it('is refused with a code and a sentence where the last probe says jobs may not submit jobs, and places nothing', async () => {
    const probe = await engine.call('hosts.probe', { ref: 'hpc-nosubmit' });
    expect(probe.slurm?.computeSubmit).toBe(true); // this cluster lets them
    // A cluster that allows sbatch on login nodes only cannot be made here (every node is this machine): its
    // probe's answer is written in the stored probe, as the probe parses it (test/unit/slurm.test.ts).
    const id = engine.hosts.get('hpc-nosubmit').id;
    const db = engine.db;
    const row = db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?').get(`host-probe:${id}`)!;
    const kept = JSON.parse(row.value) as { probe: { slurm: Record<string, unknown> } };
    Object.assign(kept.probe.slurm, { computeSubmit: false, computeSubmitDetail: 'A job on a compute node cannot submit jobs (Batch job submission failed: Access/permission denied): ...' });
    db.prepare('UPDATE settings SET value = ? WHERE key = ?').run(JSON.stringify(kept), `host-probe:${id}`);
    const created = await engine.call('sweeps.create', { text: SWEEP('name: no-submit').replace('host: hpc', 'host: hpc-nosubmit'), fileName: 'nosubmit.yaml' });
    const err = await engine.call('sweeps.start', { sweep: created.id }).catch((e: CallError) => e);
    expect((err as CallError).info.code).toBe('SWEEP_INVALID');
    expect((err as CallError).message).toMatch(/^hpc-nosubmit does not let jobs submit jobs \(A job on a compute node cannot submit jobs.*Ask the cluster's admins/);
    expect((await engine.call('sweeps.get', { sweep: created.id })).status).toBe('DRAFT');
    expect((await engine.call('runs.list', { project: 'hpc-sweep' })).filter((r) => r.hostName === 'hpc-nosubmit')).toEqual([]);
    await engine.call('sweeps.stop', { sweep: created.id });
  }, 60_000);

  it('runs each trial as a job tb-<run id> beside a scheduler job, which resumes after a scancel without submitting a trial twice', async () => {
    const created = await engine.call('sweeps.create', { text: SWEEP('name: on-the-cluster'), fileName: 'sweep.yaml' });
    const started = await engine.call('sweeps.start', { sweep: created.id });
    expect(started.status).toBe('RUNNING');
    const dir = started.remoteDir!;
    sweepDir = dir;
    const runIds = started.trials.map((t) => t.runId!);
    expect(runIds).toHaveLength(6);
    // Trials are staged like any run on the cluster, their batch script written, nothing submitted by the app.
    for (const id of runIds) {
      expect((await engine.call('runs.get', { id })).status).toBe('PENDING');
      expect(fs.readFileSync(path.join(runRoot, 'runs', id, '.tb', 'job.sbatch'), 'utf8')).toContain(`#SBATCH --job-name=tb-${id}`);
    }
    // The scheduler is a small CPU job.
    const schedulerName = `tb-sweep-${created.id}`;
    const firstScheduler = fs.readFileSync(path.join(dir, '.tb', 'scheduler_job'), 'utf8').trim();
    expect(allJobs().find((j) => j.id === firstScheduler)?.name).toBe(schedulerName);
    const script = fs.readFileSync(path.join(dir, '.tb', 'scheduler.sbatch'), 'utf8');
    expect(script).toMatch(/--cpus-per-task=1/);
    expect(script).toMatch(/--requeue/);
    expect(script).toMatch(/--mem=\d+M/);

    // Once three trials were submitted: cancel the scheduler's job.
    await until('three trials submitted', async () => (await engine.call('sweeps.decisions', { sweep: created.id })).filter((d) => d.action === 'submitted').length >= 3);
    const running = allJobs().filter((j) => j.name.startsWith('tb-') && j.name !== schedulerName && ['PENDING', 'RUNNING'].includes(j.state));
    expect(running.length).toBeGreaterThan(0);
    expect(running.length).toBeLessThanOrEqual(3); // the concurrency: trials queued or running
    slurm.run('scancel', [firstScheduler]);
    await until('the scheduler job to leave the queue', () => !allJobs().some((j) => j.id === firstScheduler && ['PENDING', 'RUNNING', 'COMPLETING'].includes(j.state)));
    // The app sees it gone with the sweep unfinished and submits it again.
    const restarted = await until('the app to submit the scheduler again', async () => {
      const s = await engine.call('sweeps.get', { sweep: created.id });
      return s.lastError && /submitted it again as job (\d+)/.test(s.lastError) ? s : undefined;
    });
    const secondScheduler = /submitted it again as job (\d+)/.exec(restarted.lastError!)![1]!;
    expect(secondScheduler).not.toBe(firstScheduler);
    expect(allJobs().find((j) => j.id === secondScheduler)?.name).toBe(schedulerName);

    const done = await until(
      'the sweep to finish',
      async () => {
        const s = await engine.call('sweeps.get', { sweep: created.id });
        return s.status === 'FINISHED' ? s : undefined;
      },
      150_000,
    );
    const decisions = await engine.call('sweeps.decisions', { sweep: created.id });
    expect(decisions.some((d) => d.action === 'resumed')).toBe(true);
    // Every trial started once and was submitted once: one job per trial, in the decisions and in SLURM's own records.
    const starts = decisions.filter((d) => d.action === 'start').map((d) => d.runId);
    expect(starts.sort()).toEqual([...runIds].sort());
    const submitted = decisions.filter((d) => d.action === 'submitted').map((d) => d.runId);
    expect(submitted.sort()).toEqual([...runIds].sort());
    const jobs = allJobs();
    for (const id of runIds) {
      const ids = new Set([
        ...jobs.filter((j) => j.name === `tb-${id}`).map((j) => j.id),
        ...completedJobs()
          .filter((j) => j.name === `tb-${id}`)
          .map((j) => j.id),
      ]);
      expect(ids.size, `jobs of trial ${id}`).toBe(1);
      const run = await until(`trial ${id} to end`, async () => {
        const r = await engine.call('runs.sync', { id });
        return ['SUCCEEDED', 'CANCELLED', 'FAILED', 'LOST'].includes(r.status) ? r : undefined;
      });
      expect(run.job?.jobId).toBe([...ids][0]); // the run follows the job the scheduler submitted
    }
    // Two scheduler jobs in all: the first and the one the app submitted after the scancel.
    expect(new Set(jobs.filter((j) => j.name === schedulerName).map((j) => j.id))).toEqual(new Set([firstScheduler, secondScheduler]));

    // Trials ASHA stopped: CANCELLED, their job gone from the queue, before the last step.
    const stops = decisions.filter((d) => d.action === 'stop' && d.rung !== null);
    expect(stops.length).toBeGreaterThan(0);
    for (const s of stops) {
      expect(s.reason).toMatch(/^stopped at rung \d: [\d.]+ not in the top 1\/3 \([\d.]+\)$/);
      const run = await engine.call('runs.get', { id: s.runId! });
      expect(run.status).toBe('CANCELLED');
      await until(`job ${run.job?.jobId} to leave the queue`, () => !slurm.queue().some((j) => j.name === `tb-${run.id}`), 30_000);
      const steps = fs
        .readFileSync(path.join(run.remoteDir, 'metrics.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('"train"')).length;
      expect(steps).toBeLessThan(60);
    }
    // The best is the lowest eval_loss among trials trained to the end.
    const completed = decisions.filter((d) => d.action === 'complete').map((d) => d.runId!);
    expect(completed.length).toBeGreaterThan(0);
    const finals = await Promise.all(completed.map(async (id) => ({ id, best: Math.min(...(await engine.call('runs.metrics', { id, name: 'eval_loss' })).map((p) => p.value!)) })));
    const expected = finals.reduce((a, b) => (b.best < a.best ? b : a));
    expect(done.best?.runId).toBe(expected.id);
    expect(done.best?.value).toBeCloseTo(expected.best, 9);
    expect((await engine.call('runs.get', { id: expected.id })).status).toBe('SUCCEEDED');
    // Nothing of the sweep is left in the queue.
    await until('an empty queue', () => slurm.queue().length === 0, 30_000);
  }, 240_000);

  it('pause holds new submissions while a slot is free, resume submits again, stop cancels with scancel', async () => {
    const text = [
      'project: hpc-sweep',
      'host: hpc',
      'recipe: demo-lora-stdlib',
      'name: pause-me',
      'method: {name: random}',
      'trials: 3',
      'concurrency: 1',
      'seed: 3',
      'params:',
      '  lr: {loguniform: [0.1, 10.0]}',
      '  steps: 20',
      '  sleep_per_step: 0.1',
      '',
    ].join('\n');
    const created = await engine.call('sweeps.create', { text, fileName: 'pause.yaml' });
    const started = await engine.call('sweeps.start', { sweep: created.id });
    const dir = started.remoteDir!;
    sweepDir = dir;
    const decisions = () => engine.call('sweeps.decisions', { sweep: created.id });
    await until('the first trial submitted', async () => (await decisions()).some((d) => d.action === 'submitted'));
    expect((await engine.call('sweeps.pause', { sweep: created.id })).status).toBe('PAUSED');
    expect(await codeOf(engine.call('sweeps.pause', { sweep: created.id }))).toBe('SWEEP_STATE');
    // The first trial ends and frees the only slot; the paused scheduler goes on beating and submits nothing.
    const ended = await until('the first trial to end', async () => (await decisions()).find((d) => d.action === 'ended'));
    await until('the scheduler to tick a second past it', () => fs.statSync(path.join(dir, '.tb', 'heartbeat')).mtimeMs / 1000 > ended.ts + 1);
    expect((await decisions()).filter((d) => d.action === 'start')).toHaveLength(1);
    expect(slurm.queue().filter((j) => j.name.startsWith('tb-') && !j.name.startsWith('tb-sweep-'))).toEqual([]);
    // Resumed: the next trial is submitted; stopped at once: its job is cancelled, the third never starts.
    expect((await engine.call('sweeps.resume', { sweep: created.id })).status).toBe('RUNNING');
    await until('the second trial submitted', async () => (await decisions()).filter((d) => d.action === 'submitted').length === 2);
    expect((await engine.call('sweeps.stop', { sweep: created.id })).status).toBe('STOPPING');
    const stopped = await until('the sweep to stop', async () => {
      const s = await engine.call('sweeps.get', { sweep: created.id });
      return s.status === 'STOPPED' ? s : undefined;
    });
    const all = await decisions();
    expect(all.filter((d) => d.action === 'submitted')).toHaveLength(2);
    expect(all.filter((d) => d.action === 'stop').map((d) => d.reason)).toEqual(['stopped with the sweep']);
    const [first, second, third] = await Promise.all(
      stopped.trials.map((t) =>
        until(`trial ${t.runId} to end`, async () => {
          const r = await engine.call('runs.sync', { id: t.runId! });
          return ['SUCCEEDED', 'CANCELLED', 'FAILED', 'LOST'].includes(r.status) ? r : undefined;
        }),
      ),
    );
    expect(first!.status).toBe('SUCCEEDED');
    expect(second!.status).toBe('CANCELLED');
    expect(third!.status).toBe('CANCELLED');
    expect(third!.job).toBeNull(); // never submitted
    await until(`job ${second!.job?.jobId} to leave the queue`, () => !slurm.queue().some((j) => j.name === `tb-${second!.id}`), 30_000);
    await until('an empty queue', () => slurm.queue().length === 0, 30_000);
  }, 120_000);
});

// The scheduler's rules on a cluster, against a stand-in SLURM (sbatch, squeue and scancel as small
// scripts over a queue file) so that every state can be set up exactly: a scheduler that died between
// a start and its "submitted" line resumes without submitting any trial twice.
const FAKE_SLURM = `#!/usr/bin/env python3
import json, os, re, sys
STATE = os.environ["FAKE_SLURM"]
def load():
    try:
        return json.load(open(STATE))
    except OSError:
        return {"next": 500, "jobs": []}
def save(q):
    json.dump(q, open(STATE + ".tmp", "w")); os.replace(STATE + ".tmp", STATE)
cmd = os.path.basename(sys.argv[0]); q = load()
with open(STATE + ".calls", "a") as log:
    log.write(json.dumps([cmd, os.getcwd(), os.environ.get("SLURM_JOB_ID", "")] + sys.argv[1:]) + "\\n")
if cmd == "sbatch":
    name = re.search(r"--job-name=(\\S+)", open(sys.argv[-1]).read()).group(1)
    job = str(q["next"]); q["next"] += 1
    q["jobs"].append({"id": job, "state": "PENDING", "name": name}); save(q); print(job)
elif cmd == "squeue":
    for j in q["jobs"]:
        print("%s|%s|%s" % (j["id"], j["state"], j["name"]))
elif cmd == "scancel":
    for j in q["jobs"]:
        if j["id"] == sys.argv[1]:
            j["state"] = "CANCELLED"
    save(q)
`;

describe('the sweep scheduler on a cluster (a stand-in SLURM)', () => {
  it('adopts jobs submitted before it restarted, submits each trial once, frees a slot when a queued job is cancelled, and stops with scancel', async () => {
    const root = tempDir('tb-sweep-fake-slurm-');
    const bin = path.join(root, 'bin');
    fs.mkdirSync(bin);
    for (const cmd of ['sbatch', 'squeue', 'scancel']) fs.writeFileSync(path.join(bin, cmd), FAKE_SLURM, { mode: 0o755 });
    const state = path.join(root, 'queue.json');
    const ids = ['A', 'B', 'C', 'D', 'E'].map((x) => `trial-${x}`);
    const dirOf = (id: string) => path.join(root, 'runs', id);
    for (const id of ids) {
      fs.mkdirSync(path.join(dirOf(id), '.tb'), { recursive: true });
      fs.writeFileSync(path.join(dirOf(id), '.tb', 'job.sbatch'), `#!/bin/bash\n#SBATCH --job-name=tb-${id}\n`);
    }
    const dir = path.join(root, 'sweeps', 's1');
    fs.mkdirSync(path.join(dir, '.tb'), { recursive: true });
    for (const file of ['sweep_scheduler.py', 'asha.py']) fs.copyFileSync(path.join(ROOT, 'resources', 'remote', file), path.join(dir, '.tb', file));
    fs.writeFileSync(
      path.join(dir, 'sweep.json'),
      JSON.stringify({
        method: { name: 'random' },
        objective: { metric: 'loss', goal: 'minimize' },
        concurrency: 4,
        backend: 'slurm',
        trialScript: '.tb/job.sbatch',
        trialResources: { nodes: 1 },
        trials: ids.map((id) => ({ id, dir: dirOf(id), params: {} })),
      }),
    );
    // What a scheduler that died left: A submitted and recorded; B submitted, its job id written but not
    // its "submitted" line; C submitted, nothing written (only the queue knows it); D started, never submitted.
    fs.writeFileSync(
      state,
      JSON.stringify({
        next: 500,
        jobs: [
          { id: '100', state: 'RUNNING', name: 'tb-trial-A' },
          { id: '101', state: 'PENDING', name: 'tb-trial-B' },
          { id: '102', state: 'RUNNING', name: 'tb-trial-C' },
          { id: '90', state: 'COMPLETED', name: 'someone-else' },
        ],
      }),
    );
    fs.writeFileSync(path.join(dirOf('trial-B'), '.tb', 'job_id'), '101\n');
    const line = (seq: number, action: string, trial: string, extra = {}) => JSON.stringify({ seq, ts: 0, action, trial, reason: action, ...extra }) + '\n';
    fs.writeFileSync(
      path.join(dir, 'decisions.jsonl'),
      line(1, 'start', 'trial-A') + line(2, 'submitted', 'trial-A', { job: '100' }) + line(3, 'start', 'trial-B') + line(4, 'start', 'trial-C') + line(5, 'start', 'trial-D'),
    );
    const env = {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      FAKE_SLURM: state,
      TUNEBENCH_SWEEP_TICK_S: '0.05',
      TUNEBENCH_SWEEP_SQUEUE_S: '0.1',
      SLURM_JOB_ID: '77',
      SLURM_CPUS_PER_TASK: '1',
    };
    const proc = spawn('python3', [path.join(dir, '.tb', 'sweep_scheduler.py'), dir], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const decisions = () =>
      fs
        .readFileSync(path.join(dir, 'decisions.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { seq: number; action: string; trial?: string; job?: string; reason: string; queued?: boolean });
    const calls = () =>
      fs.existsSync(`${state}.calls`)
        ? fs
            .readFileSync(`${state}.calls`, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as string[])
        : [];
    const queue = () => JSON.parse(fs.readFileSync(state, 'utf8')) as { next: number; jobs: { id: string; state: string; name: string }[] };
    try {
      const submitted = await until(
        'B, C and D to have a job',
        () => {
          const d = decisions().filter((x) => x.action === 'submitted');
          return d.length === 4 ? d : undefined;
        },
        20_000,
      );
      expect(submitted.map((d) => [d.trial, d.job])).toEqual([
        ['trial-A', '100'],
        ['trial-B', '101'],
        ['trial-C', '102'],
        ['trial-D', '500'],
      ]);
      expect(submitted[1]!.reason).toMatch(/run directory says so/);
      expect(submitted[2]!.reason).toMatch(/found in the queue by its name/);
      expect(decisions().find((d) => d.action === 'resumed')).toBeTruthy();
      // Only D was submitted; its job id is in its run directory; its job ran without the scheduler's SLURM_* variables.
      expect(calls().filter((c) => c[0] === 'sbatch')).toEqual([['sbatch', dirOf('trial-D'), '', '--parsable', '.tb/job.sbatch']]);
      expect(fs.readFileSync(path.join(dirOf('trial-D'), '.tb', 'job_id'), 'utf8').trim()).toBe('500');
      // 4 slots, 4 trials queued or running: E waits.
      expect(decisions().some((d) => d.action === 'start' && d.trial === 'trial-E')).toBe(false);
      // B's job is cancelled while queued (nothing of it ran): B has ended, and E takes its slot.
      const q = queue();
      q.jobs.find((j) => j.id === '101')!.state = 'CANCELLED';
      fs.writeFileSync(state, JSON.stringify(q));
      await until('E to be submitted', () => decisions().some((d) => d.action === 'submitted' && d.trial === 'trial-E'), 20_000);
      expect(decisions().find((d) => d.action === 'ended' && d.trial === 'trial-B')?.reason).toMatch(/its job 101 is cancelled and the trial left no exit code/);
      // A ends by itself (its supervisor's exit code).
      fs.writeFileSync(path.join(dirOf('trial-A'), '.tb', 'supervisor.log'), '');
      fs.writeFileSync(path.join(dirOf('trial-A'), '.tb', 'exit_code'), '0\n');
      await until('A to end', () => decisions().some((d) => d.action === 'ended' && d.trial === 'trial-A'), 20_000);
      // Stop: the cancel file and scancel for each trial still queued or running; then the sweep ends.
      fs.writeFileSync(path.join(dir, 'stop'), '');
      const finished = await until('the sweep to finish', () => decisions().find((d) => d.action === 'finished'), 20_000);
      expect(finished.reason).toMatch(/stopped/);
      const scancels = calls()
        .filter((c) => c[0] === 'scancel')
        .map((c) => c[3])
        .sort();
      expect(scancels).toEqual(['102', '500', '501']);
      for (const id of ['trial-C', 'trial-D', 'trial-E']) expect(fs.existsSync(path.join(dirOf(id), '.tb', 'cancel'))).toBe(true);
      expect(
        decisions()
          .filter((d) => d.action === 'stop')
          .every((d) => d.queued === true),
      ).toBe(true);
      // One job per trial, ever.
      const byName = new Map<string, number>();
      for (const j of queue().jobs) byName.set(j.name, (byName.get(j.name) ?? 0) + 1);
      for (const id of ids) expect(byName.get(`tb-${id}`), id).toBe(1);
      expect(calls().filter((c) => c[0] === 'sbatch')).toHaveLength(2);
    } finally {
      proc.kill('SIGKILL');
    }
    expect(stderr).not.toMatch(/Traceback/);
  }, 60_000);
});
