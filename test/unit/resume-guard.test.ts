// The shell test a test run's resume asks before it removes anything (testing/test-launcher.ts), run by a
// real shell: a runner still runs when its process lives here, or, on a SLURM cluster, when its job is
// still in the queue. squeue is a stand-in script here (the two-node SLURM of the integration tests takes
// no test run: their models are trained on the workstation host).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Host } from '../../src/shared/domain/host';
import { runnerRunsTest } from '../../src/main/testing/test-launcher';
import { ROOT, tempDir } from '../support/tunebench';

const dir = tempDir('tb-resume-guard-');
const bin = path.join(dir, 'bin');
const run = path.join(dir, 'run');
fs.mkdirSync(bin);
fs.mkdirSync(path.join(run, '.tb'), { recursive: true });
fs.copyFileSync(path.join(ROOT, 'resources/remote/probe_run.py'), path.join(run, '.tb/probe_run.py'));
/** squeue answering `state` (nothing: the job is not in the queue). */
const squeue = (state: string) => fs.writeFileSync(path.join(bin, 'squeue'), `#!/bin/sh\n${state ? `echo ${state}` : 'true'}\n`, { mode: 0o755 });
const host = (slurm: Host['slurm']) => ({ python: 'python3', slurm }) as Host;
const startTime = (pid: number) => execFileSync('python3', ['-c', `import sys; s=open('/proc/%d/stat' % ${pid}).read(); print(s[s.rindex(')') + 2:].split()[19])`], { encoding: 'utf8' }).trim();

/** Whether the test says a runner still runs, and the directory the shell is in after it. */
function ask(h: Host, jobId: string | null): { runs: boolean; cwd: string } {
  const r = spawnSync('sh', ['-c', `cd ${run} && if ${runnerRunsTest(h, jobId)}; then echo runs; else echo stopped; fi; pwd`], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
  const [answer, cwd] = r.stdout.trim().split('\n');
  return { runs: answer === 'runs', cwd: cwd! };
}

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("a test run's resume guard", () => {
  it('sees a runner whose process lives on this host, and none when it has gone', () => {
    fs.writeFileSync(path.join(run, '.tb/pid'), `${process.pid} ${startTime(process.pid)}\n`);
    expect(ask(host(null), null).runs).toBe(true);
    fs.writeFileSync(path.join(run, '.tb/pid'), `${process.pid} 1\n`); // the pid reused by another process
    expect(ask(host(null), null).runs).toBe(false);
    fs.rmSync(path.join(run, '.tb/pid'));
    expect(ask(host(null), null).runs).toBe(false);
  });

  it('on a SLURM cluster sees the job while it is in the queue, and not once it has ended', () => {
    const cluster = host({ setup: 'cd /' });
    for (const [state, runs] of [
      ['RUNNING', true],
      ['PENDING', true],
      ['COMPLETING', true],
      ['COMPLETED', false],
      ['CANCELLED', false],
      ['', false],
    ] as const) {
      squeue(state);
      const answer = ask(cluster, '4242');
      expect(answer.runs, state || 'not in the queue').toBe(runs);
      expect(answer.cwd, 'the cluster setup line leaves the run directory as it was').toBe(run);
    }
    squeue('RUNNING');
    expect(ask(cluster, null).runs).toBe(false); // a run that has no job yet: only its process counts
  });
});
