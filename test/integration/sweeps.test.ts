// A sweep on a real SSH host (OpenSSH on loopback): 12 demo-lora-stdlib trials under ASHA, 4 at a
// time. The app is closed mid-sweep and the scheduler killed once: the sweep goes on without the app,
// the scheduler resumes without starting a trial twice, and the app, opened again, stores every decision
// exactly once. Stopped trials really stop; the best is the one the objective says; it becomes the recipe.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import { CallError } from '../../src/main/rpc/dispatch';
import { startSshd, type TestSshd } from '../support/sshd.mjs';
import { cli, tempDir } from '../support/tunebench';
import { until as waitUntil, codeOf } from '../support/wait';

const until = <T>(what: string, check: () => Promise<T | false | undefined> | T | false | undefined, timeoutMs = 120_000) => waitUntil(what, check, timeoutMs, 100);

let sshd: TestSshd;
let dataDir: string;
let runRoot: string;

const open = (syncMs = 0): Engine => openEngine({ dataDir, knownHostsFiles: [], agentSocket: '', runSyncIntervalMs: syncMs, checkOutputs: true });

const remoteDecisions = (dir: string) =>
  fs.existsSync(path.join(dir, 'decisions.jsonl'))
    ? fs
        .readFileSync(path.join(dir, 'decisions.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { seq: number; action: string; trial?: string })
    : [];

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

const SWEEP = (extra = '') => `
project: sweepy
host: box
recipe: demo-lora-stdlib
method: {name: asha, eta: 3, min_resource: 10, max_resource: 90, resource: step}
trials: 12
concurrency: 4
seed: 7
params:
  lr: {loguniform: [0.05, 20.0]}
  rank: {choice: [2, 4, 8]}
  eval_every: 10
  sleep_per_step: 0.03
${extra}`;

beforeAll(async () => {
  sshd = await startSshd();
  dataDir = tempDir('tb-sweep-data-');
  runRoot = tempDir('tb-sweep-remote-');
  const e = open();
  await e.call('projects.create', { name: 'sweepy' });
  await e.call('projects.setObjective', { ref: 'sweepy', metric: 'eval_loss', goal: 'minimize' });
  await e.call('hosts.add', { name: 'box', hostname: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.clientKey, python: '/usr/bin/python3', runRoot });
  await e.call('hosts.trust', { ref: 'box', fingerprint: sshd.hostKeyFingerprint });
  e.close();
});

afterAll(async () => {
  await sshd?.stop();
});

describe('a sweep file', () => {
  it('is checked against the recipe before anything runs, with the file and the parameter named', async () => {
    const e = open();
    try {
      const bad = async (text: string) => {
        try {
          await e.call('sweeps.create', { text, fileName: 'my-sweep.yaml' });
          return 'OK';
        } catch (err) {
          return `${(err as CallError).info.code}: ${(err as CallError).info.message}`;
        }
      };
      expect(await bad(SWEEP().replace('rank: {choice', 'rnak: {choice'))).toMatch(/^SWEEP_INVALID: my-sweep.yaml: params.rnak: demo-lora-stdlib has no parameter "rnak"/);
      expect(await bad(SWEEP().replace('[0.05, 20.0]', '[0.05, 500.0]'))).toMatch(/^SWEEP_INVALID: my-sweep.yaml: params.lr \(trial \d+, value [\d.]+\): .*100/);
      expect(await bad(SWEEP().replace('name: asha, eta: 3, min_resource: 10, max_resource: 90, resource: step', 'name: grid'))).toMatch(/params.lr: a grid needs a list of values/);
      expect(await bad(SWEEP().replace('eta: 3', 'eta: 1'))).toMatch(/^SWEEP_INVALID: my-sweep.yaml: method.eta: /);
      expect(await bad(SWEEP().replace('max_resource: 90', 'max_resource: 5'))).toMatch(/max_resource must be at least min_resource/);
      expect(await bad(SWEEP() + '\n  steps: 40\n')).toMatch(/params.steps must be a fixed number of at least max_resource \(90\)/);
      expect(await bad('project: [unclosed')).toMatch(/^SWEEP_INVALID: my-sweep.yaml: not valid YAML/);
      expect(await bad(SWEEP().replace('host: box', 'host: nowhere'))).toMatch(/^HOST_NOT_FOUND/);
      expect(await e.call('sweeps.list', {})).toEqual([]); // nothing was stored
      // The same seed draws the same trials; ASHA's trials train to max_resource.
      const a = await e.call('sweeps.create', { text: SWEEP(), fileName: 'a.yaml' });
      const b = await e.call('sweeps.create', { text: SWEEP(), fileName: 'b.yaml' });
      expect(a.trials.map((t) => t.params)).toEqual(b.trials.map((t) => t.params));
      expect(a.trials).toHaveLength(12);
      for (const t of a.trials) {
        expect(t.params.steps).toBe(90);
        expect(t.params.lr as number).toBeGreaterThanOrEqual(0.05);
        expect(t.params.lr as number).toBeLessThanOrEqual(20);
        expect([2, 4, 8]).toContain(t.params.rank);
      }
      expect(await codeOf(e.call('sweeps.pause', { sweep: a.id }))).toBe('SWEEP_STATE');
      await e.call('sweeps.stop', { sweep: a.id });
      await e.call('sweeps.stop', { sweep: b.id });
      expect(fs.existsSync(path.join(runRoot, 'sweeps'))).toBe(false);
    } finally {
      e.close();
    }
  });
});

describe('an ASHA sweep of 12 trials, 4 at a time, on an SSH host', () => {
  it('goes on while the app is closed and its scheduler is killed, and the app then shows every decision once', async () => {
    let e = open(200);
    const created = await e.call('sweeps.create', { text: SWEEP('name: lr-search'), fileName: 'sweep.yaml' });
    const started = await e.call('sweeps.start', { sweep: 'lr-search' });
    expect(started.status).toBe('RUNNING');
    const dir = started.remoteDir!;
    expect(dir).toBe(`${runRoot}/sweeps/${created.id}`);
    expect(started.trials.every((t) => t.runId)).toBe(true);
    // Every trial is a run, waiting for a slot until the scheduler starts it.
    const runs = await e.call('runs.list', { project: 'sweepy' });
    expect(runs.filter((r) => started.trials.some((t) => t.runId === r.id))).toHaveLength(12);

    // The app follows the first decisions, then is closed.
    await until('the app to store 5 starts', async () => (await e.call('sweeps.decisions', { sweep: created.id })).filter((d) => d.action === 'start').length >= 5);
    e.close();
    const seenBeforeClose = remoteDecisions(dir).length;

    // Killed while nobody watches: the sweep stalls until the app, opened again, starts it again.
    const pid = Number(fs.readFileSync(path.join(dir, '.tb', 'pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    await until('the scheduler to die', () => !alive(pid));
    e = open(200);
    try {
      const done = await until(
        'the sweep to finish',
        async () => {
          const s = await e.call('sweeps.get', { sweep: created.id });
          return s.status === 'FINISHED' ? s : undefined;
        },
        240_000,
      );
      const file = remoteDecisions(dir);
      const stored = await e.call('sweeps.decisions', { sweep: created.id });
      // Exactly once: the stored decisions are the file's lines, in order, each once.
      expect(stored.map((d) => d.seq)).toEqual(file.map((d) => d.seq));
      expect(stored.map((d) => d.seq)).toEqual(file.map((_, i) => i + 1));
      expect(file.length).toBeGreaterThan(seenBeforeClose); // decided while the app was closed
      expect(stored.some((d) => d.action === 'resumed')).toBe(true);
      // No trial started twice; all 12 started.
      const starts = stored.filter((d) => d.action === 'start').map((d) => d.runId);
      expect(new Set(starts).size).toBe(12);
      expect(starts).toHaveLength(12);
      // Stopped trials really stopped: CANCELLED, their process gone, before the last step.
      const stops = stored.filter((d) => d.action === 'stop' && d.rung !== null);
      expect(stops.length).toBeGreaterThan(0);
      for (const s of stops) {
        expect(s.reason).toMatch(/^stopped at rung \d: [\d.]+ not in the top 1\/3 \([\d.]+\)$/);
        const run = await until(`trial ${s.runId} to end`, async () => {
          const r = await e.call('runs.sync', { id: s.runId! });
          return ['CANCELLED', 'SUCCEEDED', 'FAILED'].includes(r.status) ? r : undefined;
        });
        expect(run.status).toBe('CANCELLED');
        expect(alive(Number(fs.readFileSync(path.join(run.remoteDir, '.tb', 'pid'), 'utf8').split(' ')[0]))).toBe(false);
        const steps = fs
          .readFileSync(path.join(run.remoteDir, 'metrics.jsonl'), 'utf8')
          .split('\n')
          .filter((l) => l.includes('"train"')).length;
        expect(steps).toBeLessThan(90);
      }
      // The best is the one the objective says: the lowest eval_loss among trials trained to the end.
      const completed = stored.filter((d) => d.action === 'complete').map((d) => d.runId!);
      expect(completed.length).toBeGreaterThan(0);
      const finals = await Promise.all(completed.map(async (id) => ({ id, best: Math.min(...(await e.call('runs.metrics', { id, name: 'eval_loss' })).map((p) => p.value!)) })));
      const expected = finals.reduce((a, b) => (b.best < a.best ? b : a));
      expect(done.best?.runId).toBe(expected.id);
      expect(done.best?.value).toBeCloseTo(expected.best, 9);
      // Its configuration becomes the project's recipe.
      await until('the best trial to be SUCCEEDED', async () => (await e.call('runs.sync', { id: expected.id })).status === 'SUCCEEDED');
      const project = await e.call('sweeps.saveBest', { sweep: created.id });
      expect(project.recipe).toMatchObject({ name: 'demo-lora-stdlib', fromRunId: expected.id, params: done.best!.params });
    } finally {
      e.close();
    }
  }, 300_000);

  it('ends STOPPED when the scheduler stopped it before the app had marked it stopping (a stop during a sync pass), and a late stop changes nothing', async () => {
    // The pass that reads the scheduler's last lines may have read the sweep before the user's stop
    // arrived: the sweep then ended FINISHED. The scheduler's own word on how it ended now decides.
    const e = open();
    try {
      const text = [
        'project: sweepy',
        'host: box',
        'recipe: demo-lora-stdlib',
        'name: stop-race',
        'method: {name: grid}',
        'concurrency: 1',
        'params:',
        '  lr: {choice: [0.5, 2.0]}',
        '  steps: 400',
        '  sleep_per_step: 0.05',
        '',
      ].join('\n');
      const created = await e.call('sweeps.create', { text, fileName: 'race.yaml' });
      const dir = (await e.call('sweeps.start', { sweep: created.id })).remoteDir!;
      await until('the first trial to start', () => remoteDecisions(dir).some((d) => d.action === 'start'));
      fs.writeFileSync(path.join(dir, 'stop'), ''); // what sweeps.stop writes, the app's status still RUNNING
      await until('the scheduler to finish', () => remoteDecisions(dir).some((d) => d.action === 'finished'));
      expect((await e.call('sweeps.get', { sweep: created.id })).status).toBe('RUNNING');
      const synced = await e.call('sweeps.sync', { sweep: created.id });
      expect(synced.status).toBe('STOPPED');
      // A stop or pause arriving now finds it ended, and says so.
      expect(await codeOf(e.call('sweeps.stop', { sweep: created.id }))).toBe('SWEEP_STATE');
      expect(await codeOf(e.call('sweeps.pause', { sweep: created.id }))).toBe('SWEEP_STATE');
      expect((await e.call('sweeps.get', { sweep: created.id })).status).toBe('STOPPED');
    } finally {
      e.close();
    }
  }, 120_000);

  it('stopped while its trials are being staged: nothing starts, its trials are cancelled, and a second start meanwhile is refused', async () => {
    const e = open();
    try {
      // Enough code that staging the trials takes a while.
      const code = tempDir('tb-sweep-code-');
      for (let i = 0; i < 1500; i++) fs.writeFileSync(path.join(code, `part_${i}.py`), `# ${i}\n`.repeat(50));
      const text = [
        'project: sweepy',
        'host: box',
        'recipe: demo-lora-stdlib',
        'name: stop-while-starting',
        `code: ${code}`,
        'method: {name: grid}',
        'params:',
        '  lr: {choice: [0.5, 2.0]}',
        '  steps: 400',
        '',
      ].join('\n');
      const created = await e.call('sweeps.create', { text, fileName: 'starting.yaml' });
      const start = e.call('sweeps.start', { sweep: created.id });
      await until('its trials to be recorded', async () => (await e.call('runs.list', { project: 'sweepy' })).filter((r) => r.status === 'QUEUED').length > 0, 60_000);
      expect(await codeOf(e.call('sweeps.start', { sweep: created.id }))).toBe('SWEEP_STATE');
      expect((await e.call('sweeps.stop', { sweep: created.id })).status).toBe('STOPPED');
      const after = await start;
      expect(after.status).toBe('STOPPED');
      // No scheduler was started, and the staged trials say why they never ran.
      expect(fs.existsSync(path.join(runRoot, 'sweeps', created.id, '.tb', 'heartbeat'))).toBe(false);
      const trials = (await e.call('runs.list', { project: 'sweepy' })).filter((r) => r.createdAt >= created.createdAt && r.params.lr !== undefined && r.status !== 'SUCCEEDED');
      const staged = trials.filter((r) => /stopped while it was being started/.test(r.lastError ?? ''));
      expect(staged).toHaveLength(2);
      expect(staged.every((r) => r.status === 'CANCELLED')).toBe(true);
      expect((await e.call('sweeps.get', { sweep: created.id })).status).toBe('STOPPED');
    } finally {
      e.close();
    }
  }, 120_000);

  it('from the CLI: create --start, show (reads new decisions), stop; --json everywhere', async () => {
    const file = path.join(tempDir(), 'grid.yaml');
    fs.writeFileSync(
      file,
      [
        'project: sweepy',
        'host: box',
        'recipe: demo-lora-stdlib',
        'name: grid-cli',
        'method: {name: grid}',
        'concurrency: 2',
        'params:',
        '  lr: {choice: [0.5, 2.0]}',
        '  steps: 400',
        '  sleep_per_step: 0.05',
        '',
      ].join('\n'),
    );
    const env = { SSH_AUTH_SOCK: '' };
    const created = cli(['sweep', 'create', file, '--start', '--json'], { dataDir, env });
    expect(created.stderr).toBe('');
    const sweep = JSON.parse(created.stdout) as { id: string; status: string; trials: unknown[] };
    expect(sweep).toMatchObject({ status: 'RUNNING' });
    expect(sweep.trials).toHaveLength(2);
    await until('both trials to start', () => {
      const shown = JSON.parse(cli(['sweep', 'show', 'grid-cli', '--json'], { dataDir, env }).stdout) as { decisions: { action: string }[] };
      return shown.decisions.filter((d) => d.action === 'start').length === 2;
    });
    const human = cli(['sweep', 'show', 'grid-cli', '--decisions'], { dataDir, env });
    expect(human.stdout).toMatch(/grid-cli .*: running, grid, 2 of 2 trials started, 2 at a time/);
    expect(human.stdout).toMatch(/started: 1 of 2 running/);
    expect(JSON.parse(cli(['sweep', 'stop', 'grid-cli', '--json'], { dataDir, env }).stdout)).toMatchObject({ status: 'STOPPING' });
    const stopped = await until('the sweep to stop', () => {
      const shown = JSON.parse(cli(['sweep', 'show', 'grid-cli', '--json'], { dataDir, env }).stdout) as { status: string; decisions: { action: string; reason: string }[] };
      return shown.status === 'STOPPED' ? shown : undefined;
    });
    expect(stopped.decisions.filter((d) => d.action === 'stop').map((d) => d.reason)).toEqual(['stopped with the sweep', 'stopped with the sweep']);
    const list = JSON.parse(cli(['sweep', 'list', '--project', 'sweepy', '--json'], { dataDir, env }).stdout) as { name: string; status: string }[];
    expect(list.find((s) => s.name === 'grid-cli')?.status).toBe('STOPPED');
    expect(cli(['sweep', 'pause', 'grid-cli'], { dataDir, env })).toMatchObject({ code: 2 });
  }, 120_000);
});
