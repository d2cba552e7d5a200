// A sweep across two SSH hosts (two host entries on the test sshd, each with its own run root): no host
// can run the scheduler beside every trial, so the app drives it. 6 demo-lora-stdlib trials under ASHA,
// 3 at a time: trials land on both hosts, losers are stopped through the normal cancel path (no process
// left), the best is the objective's best. The engine is closed mid-sweep: the sweep waits (nothing new
// starts), and once reopened (twice: two engines on the same data, one drives) it goes on with no
// decision lost or doubled and no trial launched twice.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import { startSshd, type TestSshd } from '../support/sshd.mjs';
import { cli, ROOT, tempDir } from '../support/tunebench';
import { until as waitUntil } from '../support/wait';

const until = <T>(what: string, check: () => Promise<T | false | undefined> | T | false | undefined, timeoutMs = 120_000) => waitUntil(what, check, timeoutMs, 100);

let sshd: TestSshd;
let dataDir: string;
const roots: Record<string, string> = {};

const open = (syncMs = 0): Engine => openEngine({ dataDir, knownHostsFiles: [], agentSocket: '', runSyncIntervalMs: syncMs, checkOutputs: true });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

/** Run directories on a host's run root that a supervisor was started in (a trial that really ran). */
const ranOn = (host: string) => {
  const dir = path.join(roots[host]!, 'runs');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((id) => fs.existsSync(path.join(dir, id, '.tb', 'supervisor.log'))) : [];
};
const exited = (host: string, id: string) => fs.existsSync(path.join(roots[host]!, 'runs', id, '.tb', 'exit_code'));

const SWEEP = `
project: spread
hosts: [gpu1, gpu2]
recipe: demo-lora-stdlib
name: two-hosts
method: {name: asha, eta: 3, min_resource: 10, max_resource: 90, resource: step}
trials: 6
concurrency: 3
seed: 11
params:
  lr: {loguniform: [0.05, 20.0]}
  rank: {choice: [2, 4, 8]}
  eval_every: 10
  sleep_per_step: 0.04
`;

beforeAll(async () => {
  sshd = await startSshd();
  dataDir = tempDir('tb-msweep-data-');
  const e = open();
  await e.call('projects.create', { name: 'spread' });
  await e.call('projects.setObjective', { ref: 'spread', metric: 'eval_loss', goal: 'minimize' });
  for (const name of ['gpu1', 'gpu2']) {
    roots[name] = tempDir(`tb-msweep-${name}-`);
    await e.call('hosts.add', { name, hostname: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.clientKey, python: '/usr/bin/python3', runRoot: roots[name] });
    await e.call('hosts.trust', { ref: name, fingerprint: sshd.hostKeyFingerprint });
  }
  e.close();
});

afterAll(async () => {
  await sshd?.stop();
});

describe('a sweep file naming several hosts', () => {
  it('is checked: either host or hosts, each host known, none twice', async () => {
    const e = open();
    try {
      const bad = (text: string) =>
        e.call('sweeps.create', { text, fileName: 'multi.yaml' }).then(
          () => 'OK',
          (err: { info: { code: string; message: string } }) => `${err.info.code}: ${err.info.message}`,
        );
      expect(await bad(SWEEP.replace('hosts: [gpu1, gpu2]', 'hosts: [gpu1, gpu2]\nhost: gpu1'))).toMatch(/^SWEEP_INVALID: multi.yaml: host: give either host .* or hosts/);
      expect(await bad(SWEEP.replace('hosts: [gpu1, gpu2]', ''))).toMatch(/^SWEEP_INVALID: multi.yaml: host: give either host/);
      expect(await bad(SWEEP.replace('[gpu1, gpu2]', '[gpu1, gpu1]'))).toMatch(/^SWEEP_INVALID: multi.yaml: hosts: names a host twice/);
      expect(await bad(SWEEP.replace('[gpu1, gpu2]', '[gpu1, nowhere]'))).toMatch(/^HOST_NOT_FOUND/);
      // One name in hosts is a one-host sweep: its scheduler on the host drives it.
      const one = await e.call('sweeps.create', { text: SWEEP.replace('[gpu1, gpu2]', '[gpu2]').replace('two-hosts', 'one-host'), fileName: 'one.yaml' });
      expect(one).toMatchObject({ drivenBy: 'host', hostIds: [one.hostId] });
      await e.call('sweeps.stop', { sweep: one.id });
      // A draft stopped before it started leaves nothing on either host.
      const draft = await e.call('sweeps.create', { text: SWEEP.replace('two-hosts', 'draft'), fileName: 'multi.yaml' });
      expect(draft.drivenBy).toBe('app');
      expect(draft.hostIds).toHaveLength(2);
      expect((await e.call('sweeps.stop', { sweep: draft.id })).status).toBe('STOPPED');
      expect(ranOn('gpu1').length + ranOn('gpu2').length).toBe(0);
    } finally {
      e.close();
    }
  });
});

describe('an ASHA sweep of 6 trials on two hosts, 3 at a time, driven by the app', () => {
  it('spreads trials, stops losers, waits while the engine is closed and resumes without losing or doubling anything', async () => {
    let e = open(200);
    // Open pages follow sweeps.changed, named for the sweep, as decisions are stored.
    const changed: (string | null)[] = [];
    e.events.on('sweeps.changed', (p) => changed.push(p.sweepId));
    const created = await e.call('sweeps.create', { text: SWEEP, fileName: 'sweep.yaml' });
    expect(created).toMatchObject({ drivenBy: 'app', status: 'DRAFT' });
    const started = await e.call('sweeps.start', { sweep: 'two-hosts' });
    expect(started.status).toBe('RUNNING');
    expect(started.remoteDir).toBeNull(); // no scheduler on a host

    // The CLI says who drives it (it reads the database beside the open engine).
    const shown = cli(['sweep', 'show', 'two-hosts'], { dataDir, env: { SSH_AUTH_SOCK: '' } });
    expect(shown.stdout).toMatch(/^on gpu1, gpu2: driven by this app: it waits while the app is closed$/m);
    expect(JSON.parse(cli(['sweep', 'show', 'two-hosts', '--json'], { dataDir, env: { SSH_AUTH_SOCK: '' } }).stdout)).toMatchObject({ drivenBy: 'app' });

    // Mid-sweep: some trials judged at a rung, some still to start. Then the engine closes.
    await until('a rung decision and 4 starts', async () => {
      const d = await e.call('sweeps.decisions', { sweep: created.id });
      return d.some((x) => x.rung !== null) && d.filter((x) => x.action === 'start').length >= 4;
    });
    // Each pass that stores decisions says so (one event may cover several decisions): a new decision brings a new event.
    const eventsBefore = changed.filter((id) => id === created.id).length;
    const decided = (await e.call('sweeps.decisions', { sweep: created.id })).length;
    expect(eventsBefore).toBeGreaterThan(0);
    await until('another decision', async () => (await e.call('sweeps.decisions', { sweep: created.id })).length > decided);
    await until('an event for it', () => changed.filter((id) => id === created.id).length > eventsBefore);
    // Close once every stop decided so far has reached its host (a cancel cut off by the close leaves the trial to
    // run to its end while the app is closed, which the decisions then say: checked below).
    await until('the stops to reach the hosts', async () => {
      const stops = (await e.call('sweeps.decisions', { sweep: created.id })).filter((d) => d.action === 'stop');
      const runs = await Promise.all(stops.map((d) => e.call('runs.get', { id: d.runId! })));
      // (or finished by itself first: the driver read it running, then decided; a stopped trial is never FAILED)
      return runs.every((r) => ['CANCELLING', 'CANCELLED', 'SUCCEEDED'].includes(r.status));
    });
    e.close();
    // What was stored when it closed, read by an engine that drives nothing (as the CLI's).
    const reader = open();
    const beforeClose = await reader.call('sweeps.decisions', { sweep: created.id });
    reader.close();
    const storedAtClose = beforeClose.length;

    // While it is closed the sweep waits: trials that run finish by themselves, nothing new starts.
    const ranAtClose = { gpu1: ranOn('gpu1'), gpu2: ranOn('gpu2') };
    await until('the running trials to end on the hosts', () => (['gpu1', 'gpu2'] as const).every((h) => ranOn(h).every((id) => exited(h, id))), 60_000);
    expect({ gpu1: ranOn('gpu1'), gpu2: ranOn('gpu2') }).toEqual(ranAtClose);

    e = open(200);
    // A second engine open on the same data (the desktop app beside `tunebench serve`): one of them drives.
    const second = open(200);
    try {
      const done = await until(
        'the sweep to finish',
        async () => {
          const s = await e.call('sweeps.get', { sweep: created.id });
          return s.status === 'FINISHED' ? s : undefined;
        },
        180_000,
      );
      const stored = await e.call('sweeps.decisions', { sweep: created.id });
      // Nothing lost: what was stored before the close is still there, unchanged, at the start.
      expect(stored.slice(0, storedAtClose)).toEqual(beforeClose);
      expect(stored.map((d) => d.seq)).toEqual(stored.map((_, i) => i + 1));
      expect(stored.filter((d) => d.action === 'resumed')).toHaveLength(1);
      expect(stored[storedAtClose]!.reason).toBe(`the app opened again and read ${storedAtClose} decisions`);
      // Nothing doubled: one decision per trial and rung, one ending per trial, one finish.
      const judged = stored.filter((d) => d.rung !== null);
      expect(new Set(judged.map((d) => `${d.runId}@${d.rung}`)).size).toBe(judged.length);
      const ended = stored.filter((d) => d.action === 'ended').map((d) => d.runId);
      expect(new Set(ended).size).toBe(ended.length);
      expect(stored.filter((d) => d.action === 'finished')).toHaveLength(1);

      // No trial launched twice: each of the 6 trials is one run, and a supervisor ran once per trial.
      const interrupted = new Set(stored.filter((d) => d.action === 'interrupted').map((d) => d.runId));
      const starts = stored.filter((d) => d.action === 'start' && !interrupted.has(d.runId));
      expect(starts).toHaveLength(6);
      expect(new Set(done.trials.map((t) => t.runId))).toEqual(new Set(starts.map((d) => d.runId)));
      const ran = [...ranOn('gpu1'), ...ranOn('gpu2')];
      expect(ran.sort()).toEqual(starts.map((d) => d.runId!).sort());

      // Spread across both hosts, never more than 3 at a time.
      const hostOf = new Map<string, string>();
      for (const t of done.trials) {
        const run = await e.call('runs.get', { id: t.runId! });
        hostOf.set(run.id, run.remoteDir.startsWith(roots.gpu1!) ? 'gpu1' : 'gpu2');
      }
      expect(new Set(hostOf.values())).toEqual(new Set(['gpu1', 'gpu2']));
      let running = 0;
      let most = 0;
      for (const d of stored) {
        if (d.action === 'start' && !interrupted.has(d.runId)) most = Math.max(most, ++running);
        if (d.action === 'ended') running--;
      }
      expect(most).toBe(3);

      // Losers stopped through the cancel path: CANCELLED, process gone, before the last step.
      const stops = stored.filter((d) => d.action === 'stop');
      expect(stops.length).toBeGreaterThan(0);
      let cancelled = 0;
      for (const s of stops) {
        expect(s.reason).toMatch(/^stopped at rung \d: [\d.]+ not in the top 1\/3 \([\d.]+\)$/);
        const run = await e.call('runs.get', { id: s.runId! });
        const endedAs = stored.find((d) => d.action === 'ended' && d.runId === s.runId)!.reason;
        if (run.status !== 'CANCELLED') {
          // Decided in the moment before the close: the cancel did not go out, the trial ran to its end, and the decisions say so.
          expect(run.status).toBe('SUCCEEDED');
          expect(endedAs).toMatch(/, before the sweep's stop reached it$/);
          continue;
        }
        cancelled++;
        expect(endedAs).toMatch(/, stopped by the sweep$/);
        expect(alive(Number(fs.readFileSync(path.join(run.remoteDir, '.tb', 'pid'), 'utf8').split(' ')[0]))).toBe(false);
        const steps = fs
          .readFileSync(path.join(run.remoteDir, 'metrics.jsonl'), 'utf8')
          .split('\n')
          .filter((l) => l.includes('"train"')).length;
        expect(steps).toBeLessThan(90);
      }
      expect(cancelled).toBeGreaterThan(0);

      // The same rules as the host's scheduler: asha.py, fed the reports the app judged, decides the same.
      const live = judged.filter((d) => d.action !== 'ranked');
      const reports = judged.map((d) => [d.runId, d.rung, d.value]);
      const fromPython = JSON.parse(
        execFileSync(
          'python3',
          [
            '-c',
            `import json, sys\nsys.path.insert(0, ${JSON.stringify(path.join(ROOT, 'resources', 'remote'))})\nimport asha\nd = json.loads(sys.stdin.read())\ns = asha.Asha(10, 90, 3, "minimize")\nprint(json.dumps([s.report(t, k, v) for t, k, v in d]))`,
          ],
          { input: JSON.stringify(reports), encoding: 'utf8' },
        ),
      ) as { action: string; reason: string }[];
      expect(live.map((d) => [d.action, d.reason])).toEqual(fromPython.filter((_, i) => judged[i]!.action !== 'ranked').map((d) => [d.action, d.reason]));

      // The best is the objective's best among the trials not stopped early.
      const stopped = new Set(stops.map((s) => s.runId));
      const finals = await Promise.all(
        done.trials
          .filter((t) => !stopped.has(t.runId))
          .map(async (t) => ({ id: t.runId!, best: Math.min(...(await e.call('runs.metrics', { id: t.runId!, name: 'eval_loss' })).map((p) => p.value!)) })),
      );
      const expected = finals.reduce((a, b) => (b.best < a.best ? b : a));
      expect(done.best?.runId).toBe(expected.id);
      expect(done.best?.value).toBeCloseTo(expected.best, 9);
      expect(done.lastError).toBeNull();
    } finally {
      second.close();
      e.close();
    }
  }, 300_000);
});

describe('a host that cannot be reached', () => {
  it('gets no trials for a while: the other hosts take them, and the sweep says why', async () => {
    const e = open(200);
    try {
      // A host entry whose port nothing listens on.
      const closed = await e.call('hosts.add', { name: 'down', hostname: '127.0.0.1', port: 1, user: sshd.user, identityFile: sshd.clientKey, python: '/usr/bin/python3', runRoot: tempDir() });
      expect(closed.name).toBe('down');
      const text = [
        'project: spread',
        'hosts: [down, gpu1]',
        'recipe: demo-lora-stdlib',
        'name: one-down',
        'method: {name: grid}',
        'concurrency: 2',
        'params:',
        '  lr: {choice: [0.5, 2.0]}',
        '  steps: 20',
        '',
      ].join('\n');
      const created = await e.call('sweeps.create', { text, fileName: 'down.yaml' });
      await e.call('sweeps.start', { sweep: created.id });
      const noted = await until('the sweep to say that down failed', async () => (await e.call('sweeps.get', { sweep: created.id })).lastError ?? undefined);
      expect(noted).toMatch(/^Driving the sweep: launching a trial on down failed: .+ \(the other hosts take the trials; down is tried again in 30 s\)\.$/);
      const done = await until('the sweep to finish', async () => {
        const s = await e.call('sweeps.get', { sweep: created.id });
        return s.status === 'FINISHED' ? s : undefined;
      });
      const starts = (await e.call('sweeps.decisions', { sweep: created.id })).filter((d) => d.action === 'start');
      expect(starts.map((d) => d.reason.split(':')[0])).toEqual(['started on gpu1', 'started on gpu1']);
      expect(done.trials.every((t) => t.runId)).toBe(true);
      expect(done.lastError).toBeNull(); // cleared once it drove again
    } finally {
      e.close();
    }
  }, 120_000);
});
