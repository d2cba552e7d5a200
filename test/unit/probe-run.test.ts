// probe_run.py: whether a run's process is alive (a zombie, exited and not yet reaped by its parent, is
// not), and how a run that ended ended: the supervisor writes its final status before the exit code, and
// the probe reads the exit code before the status, so a cancelled run is never read as failed.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../support/tunebench';

const REMOTE = path.join(ROOT, 'resources', 'remote');
const PROBE = path.join(REMOTE, 'probe_run.py');
const startTime = (pid: number) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
};
const probe = (dir: string) => JSON.parse(execFileSync('python3', [PROBE, dir], { encoding: 'utf8' })) as { alive: boolean; exitCode: number | null; status: { state?: string } | null };

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

  it('reads the exit code before the status, and the supervisor writes them the other way round', { timeout: 30_000 }, async () => {
    // The probe's reads, in order.
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, '.tb'));
    const reads = execFileSync(
      'python3',
      [
        '-c',
        `import sys\nsys.path.insert(0, ${JSON.stringify(REMOTE)})\nimport probe_run\nseen = []\nread = probe_run._read\nprobe_run._read = lambda d, n: (seen.append(n), read(d, n))[1]\nprobe_run.probe(sys.argv[1])\nprint(" ".join(seen))`,
        dir,
      ],
      { encoding: 'utf8' },
    ).trim();
    expect(reads.indexOf('exit_code')).toBeGreaterThanOrEqual(0);
    expect(reads.indexOf('exit_code')).toBeLessThan(reads.indexOf('status.json'));

    // A run cancelled through its cancel file: the status (CANCELLED) is on disk before the exit code is.
    fs.copyFileSync(path.join(REMOTE, 'supervisor.py'), path.join(dir, '.tb', 'supervisor.py'));
    fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ id: 'r', command: 'sleep 30', env: {}, cancelGraceSeconds: 2 }));
    // The supervisor as it runs on a host, with each file it writes logged in order (file times alone
    // cannot tell two writes a microsecond apart).
    const logged = `import sys\nsys.path.insert(0, '.tb')\nimport supervisor\nwrite = supervisor.write_atomic\ndef logging(path, text):\n    write(path, text)\n    with open('written.log', 'a') as f:\n        f.write(path.split('/')[-1] + '\\n')\nsupervisor.write_atomic = logging\nsupervisor.Supervisor('.').run()`;
    const supervisor = spawn('python3', ['-c', logged], { cwd: dir, stdio: 'ignore' });
    const ended = new Promise((resolve) => supervisor.once('exit', resolve));
    for (let i = 0; i < 200 && !fs.existsSync(path.join(dir, '.tb', 'pid')); i++) await new Promise((r) => setTimeout(r, 50));
    fs.writeFileSync(path.join(dir, '.tb', 'cancel'), '');
    await ended;
    const written = fs.readFileSync(path.join(dir, 'written.log'), 'utf8').trim().split('\n');
    expect(JSON.parse(fs.readFileSync(path.join(dir, '.tb', 'status.json'), 'utf8'))).toMatchObject({ state: 'CANCELLED' });
    expect(written.lastIndexOf('status.json')).toBeLessThan(written.lastIndexOf('exit_code'));
    expect(written.at(-1)).toBe('exit_code');
    expect(probe(dir)).toMatchObject({ exitCode: expect.any(Number), status: { state: 'CANCELLED' } });
  });
});
