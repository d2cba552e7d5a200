// The sweep scheduler (resources/remote/sweep_scheduler.py) on this machine, with real supervisors and
// real trial processes: 12 trials, 4 at a time, ASHA with eta 3. What must hold: stopped trials really
// stop, no more than 4 run at once, the best trial is the one the objective says, every decision is a
// line in the decision file, and a scheduler killed mid-sweep resumes without starting a trial twice.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { supervisorFiles } from '../../src/main/runs/launcher';
import { ROOT, tempDir } from '../support/tunebench';
import { until } from '../support/wait';

const REMOTE = path.join(ROOT, 'resources', 'remote');
const STEPS = 27;

// A trial: loss falls with the step, faster for a learning rate near 1.0; 40 ms a step. The SIGTERM of
// a stop ends it at once (Python's default), as a trainer that checkpoints on TERM would after saving.
const TRAIN = `
import math, os, sys, time, tunebench
lr = float(sys.argv[1])
open("gpus.txt", "w").write(os.environ.get("CUDA_VISIBLE_DEVICES", "none"))
for step in range(1, ${STEPS} + 1):
    loss = abs(math.log(lr)) + 1.0 / step
    tunebench.log({"loss": loss}, step=step)
    time.sleep(0.04)
`;

interface Decision {
  seq: number;
  action: string;
  trial?: string;
  rung?: number;
  value?: number | null;
  reason: string;
  best?: { trial: string; value: number; params: { lr: number } } | null;
}

/** A sweep directory with one prepared run directory per trial, as the app lays them out on a host. */
function makeSweep(lrs: number[], extra: Record<string, unknown> = {}): { dir: string; trials: { id: string; dir: string; lr: number }[] } {
  const root = tempDir('tb-sweep-');
  const trials = lrs.map((lr, i) => {
    const id = `trial-${String(i).padStart(2, '0')}`;
    const dir = path.join(root, 'runs', id);
    for (const sub of ['.tb/lib/tunebench', 'logs', 'checkpoints', 'outputs', 'data']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
    for (const [file, data, mode] of supervisorFiles()) fs.writeFileSync(path.join(dir, file), data, { mode });
    fs.writeFileSync(path.join(dir, 'train.py'), TRAIN);
    fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ id, command: ['python3', 'train.py', String(lr)], env: {}, cancelGraceSeconds: 5 }));
    return { id, dir, lr };
  });
  const dir = path.join(root, 'sweeps', 'sweep-1');
  fs.mkdirSync(path.join(dir, '.tb'), { recursive: true });
  for (const file of ['sweep_scheduler.py', 'asha.py']) fs.copyFileSync(path.join(REMOTE, file), path.join(dir, '.tb', file));
  fs.writeFileSync(
    path.join(dir, 'sweep.json'),
    JSON.stringify({
      method: { name: 'asha', eta: 3, min_resource: 3, max_resource: STEPS, resource: 'step' },
      objective: { metric: 'loss', goal: 'minimize' },
      concurrency: 4,
      python: 'python3',
      ...extra,
      trials: trials.map((t) => ({ id: t.id, dir: t.dir, params: { lr: t.lr } })),
    }),
  );
  return { dir, trials };
}

const startScheduler = (dir: string): ChildProcess =>
  spawn('python3', [path.join(dir, '.tb', 'sweep_scheduler.py'), dir], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, TUNEBENCH_SWEEP_TICK_S: '0.1' } });

const decisions = (dir: string): Decision[] =>
  fs.existsSync(path.join(dir, 'decisions.jsonl'))
    ? fs
        .readFileSync(path.join(dir, 'decisions.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Decision)
    : [];

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

/** The trial process's pid, from the supervisor's .tb/pid. */
const trialPid = (dir: string) => Number(fs.readFileSync(path.join(dir, '.tb', 'pid'), 'utf8').split(' ')[0]);

function checkSweep(dir: string, trials: { id: string; dir: string; lr: number }[]): Decision[] {
  const all = decisions(dir);
  expect(all.map((d) => d.seq)).toEqual(all.map((_, i) => i + 1)); // one line per decision, in order
  // Never two starts of one trial, and every trial started once.
  const starts = all.filter((d) => d.action === 'start').map((d) => d.trial);
  expect(new Set(starts).size).toBe(starts.length);
  expect(starts.sort()).toEqual(trials.map((t) => t.id).sort());
  // No more than 4 at once: count starts minus ends along the file.
  let running = 0;
  let most = 0;
  for (const d of all) {
    if (d.action === 'start') running++;
    if (d.action === 'ended') running--;
    most = Math.max(most, running);
  }
  expect(most).toBeLessThanOrEqual(4);
  expect(most).toBeGreaterThan(1);
  // Stopped trials really stopped: their process is gone and they never reached the last step.
  const stopped = all.filter((d) => d.action === 'stop' && d.rung !== undefined);
  expect(stopped.length).toBeGreaterThan(0);
  for (const s of stopped) {
    expect(s.reason).toMatch(/^stopped at rung \d: [\d.]+ not in the top 1\/3 \([\d.]+\)$/);
    const trial = trials.find((t) => t.id === s.trial)!;
    expect(alive(trialPid(trial.dir))).toBe(false);
    const steps = fs.readFileSync(path.join(trial.dir, 'metrics.jsonl'), 'utf8').trim().split('\n').length;
    expect(steps).toBeLessThan(STEPS);
  }
  // The best is the one the objective says: the learning rate nearest 1.0 among trials that ran to the end.
  const finished = all.find((d) => d.action === 'finished')!;
  const completed = all.filter((d) => d.action === 'complete').map((d) => trials.find((t) => t.id === d.trial)!);
  const expected = completed.reduce((a, b) => (Math.abs(Math.log(b.lr)) < Math.abs(Math.log(a.lr)) ? b : a));
  expect(finished.best?.trial).toBe(expected.id);
  expect(finished.best?.value).toBeCloseTo(Math.abs(Math.log(expected.lr)) + 1 / STEPS, 6);
  return all;
}

const LRS = [0.05, 3.0, 0.9, 0.2, 5.0, 1.1, 0.01, 2.0, 0.5, 8.0, 0.7, 1.6];

describe('the sweep scheduler (ASHA, 12 trials, 4 at a time)', () => {
  it('starts, judges at each rung and stops trials, and names the best', async () => {
    const { dir, trials } = makeSweep(LRS);
    const scheduler = startScheduler(dir);
    const code = await new Promise<number | null>((resolve) => scheduler.on('exit', resolve));
    expect(code).toBe(0);
    const all = checkSweep(dir, trials);
    // The worst learning rates never passed the first rung.
    const firstRungStops = all.filter((d) => d.action === 'stop' && d.rung === 0).map((d) => trials.find((t) => t.id === d.trial)!.lr);
    expect(firstRungStops.length).toBeGreaterThan(0);
  }, 120_000);

  it('packs trials onto GPUs: each gets its own (CUDA_VISIBLE_DEVICES), never two on one, so 2 GPUs run 2 at once', async () => {
    const { dir, trials } = makeSweep(LRS.slice(0, 6), { method: { name: 'random' }, gpus: ['0', '1'], gpusPerTrial: 1 });
    const scheduler = startScheduler(dir);
    expect(await new Promise<number | null>((resolve) => scheduler.on('exit', resolve))).toBe(0);
    const all = decisions(dir);
    const held = new Map<string, string>(); // GPU -> trial holding it
    for (const d of all) {
      const gpus = (d as unknown as { gpus?: string[] }).gpus ?? [];
      if (d.action === 'start') {
        expect(gpus).toHaveLength(1);
        expect(held.has(gpus[0]!), `GPU ${gpus[0]} given to ${d.trial} while ${held.get(gpus[0]!)} holds it`).toBe(false);
        held.set(gpus[0]!, d.trial!);
      }
      if (d.action === 'ended') for (const [g, t] of held) if (t === d.trial) held.delete(g);
    }
    for (const t of trials) {
      const start = all.find((d) => d.action === 'start' && d.trial === t.id) as unknown as { gpus: string[] };
      expect(fs.readFileSync(path.join(t.dir, 'gpus.txt'), 'utf8')).toBe(start.gpus.join(','));
    }
    // Random search judges nothing: every trial trains to the end.
    expect(all.filter((d) => d.action === 'ended').length).toBe(6);
    expect(all.some((d) => d.action === 'stop')).toBe(false);
  }, 120_000);

  it('killed mid-sweep and started again, it resumes from its decision file without a trial started twice', async () => {
    const { dir, trials } = makeSweep(LRS);
    const first = startScheduler(dir);
    await until('five trials started', () => decisions(dir).filter((d) => d.action === 'start').length >= 5);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    // A start recorded by a scheduler that died before launching the trial is launched by the next one.
    const second = startScheduler(dir);
    const code = await new Promise<number | null>((resolve) => second.on('exit', resolve));
    expect(code).toBe(0);
    const all = checkSweep(dir, trials);
    expect(all.some((d) => d.action === 'resumed')).toBe(true);
  }, 120_000);
});
