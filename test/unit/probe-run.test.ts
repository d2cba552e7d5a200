// probe_run.py: whether a run's process is alive. A zombie (exited, not yet reaped by its parent) is not.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../support/tunebench';

const PROBE = path.join(ROOT, 'resources', 'remote', 'probe_run.py');
const startTime = (pid: number) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
};
const probe = (dir: string) => JSON.parse(execFileSync('python3', [PROBE, dir], { encoding: 'utf8' })) as { alive: boolean };

describe('probe_run.py', () => {
  it('a live process is alive; the same pid as a zombie is not', async () => {
    // The parent forks a child that exits at once and never reaps it: the child stays a zombie.
    const parent = spawn('python3', ['-c', 'import os, sys, time\npid = os.fork()\nif pid == 0:\n    time.sleep(0.5)\n    os._exit(0)\nprint(pid, flush=True)\ntime.sleep(30)'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const child = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d) => resolve(String(d).trim()))));
      const dir = tempDir();
      fs.mkdirSync(path.join(dir, '.tb'));
      fs.writeFileSync(path.join(dir, '.tb', 'pid'), `${child} ${startTime(child)}\n`);
      expect(probe(dir).alive).toBe(true);
      for (let i = 0; i < 100 && !fs.readFileSync(`/proc/${child}/stat`, 'utf8').includes(') Z '); i++) await new Promise((r) => setTimeout(r, 50));
      expect(fs.readFileSync(`/proc/${child}/stat`, 'utf8')).toContain(') Z ');
      expect(probe(dir).alive).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
