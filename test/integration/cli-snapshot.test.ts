// The `tunebench` command starts from a V8 startup snapshot of the CLI (bin/tunebench, built into
// dist/snapshot by `npm run build`); every CLI test runs through it. Here: that it is really used, that it
// answers as the plain CLI does, and that anything that cannot use it falls back to the plain CLI.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND, ROOT, serve, tempDir } from '../support/tunebench';

const SNAP = path.join(ROOT, 'dist', 'snapshot');
const run = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(COMMAND, args, { encoding: 'utf8', env: { ...process.env, TUNEBENCH_HOME: '', ...env } });

describe('the CLI startup snapshot', () => {
  it('is built, and the command starts from it: the same answers as the plain CLI', () => {
    expect(fs.existsSync(path.join(SNAP, 'tunebench.blob'))).toBe(true);
    const dir = tempDir();
    expect(run(['project', 'create', 'snap', '--data-dir', dir]).status).toBe(0);
    const fast = run(['project', 'list', '--json', '--data-dir', dir]);
    const plain = run(['project', 'list', '--json', '--data-dir', dir], { TUNEBENCH_NO_SNAPSHOT: '1' });
    expect(fast.status).toBe(0);
    expect(fast.stdout).toBe(plain.stdout);
    expect(JSON.parse(fast.stdout)[0].name).toBe('snap');
    // Options the command reads (not node's): --help and --version go to tunebench.
    expect(run(['--help']).stdout).toMatch(/^Tunebench /);
    expect(run(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const bad = run(['project', 'create', '', '--json', '--data-dir', dir]);
    expect(bad.status).toBe(2);
    expect(JSON.parse(bad.stderr).error.code).toBe('VALIDATION_FAILED');
  });

  it('the running command is Node started from the snapshot', async () => {
    const served = await serve(tempDir());
    try {
      // The launcher execs node, so the served process is node itself: its command line names the blob.
      const cmdline = fs.readFileSync(`/proc/${served.process.pid}/cmdline`, 'utf8').split('\0');
      expect(cmdline).toContain('--snapshot-blob');
      expect(cmdline).toContain(path.join(SNAP, 'tunebench.blob'));
    } finally {
      await served.stop();
    }
  });

  it('a node binary newer than the snapshot (upgraded in place) runs the plain CLI', async () => {
    const blob = path.join(SNAP, 'tunebench.blob');
    const { atime, mtime } = fs.statSync(blob);
    try {
      fs.utimesSync(blob, new Date('2000-01-01'), new Date('2000-01-01'));
      const served = await serve(tempDir());
      try {
        const cmdline = fs.readFileSync(`/proc/${served.process.pid}/cmdline`, 'utf8').split('\0');
        expect(cmdline).not.toContain('--snapshot-blob');
        expect(cmdline.some((a) => a.endsWith(path.join('bin', 'tunebench.js')))).toBe(true);
      } finally {
        await served.stop();
      }
    } finally {
      fs.utimesSync(blob, atime, mtime);
    }
  });

  it('reads the environment when a command runs, not when the snapshot was built', () => {
    const dir = tempDir();
    expect(run(['project', 'create', 'from-env'], { TUNEBENCH_HOME: dir }).status).toBe(0);
    expect(fs.existsSync(path.join(dir, 'tunebench.db'))).toBe(true);
  });

  it('NODE_OPTIONS (V8 flags make a snapshot unloadable) and a link to the command: both still work', () => {
    const dir = tempDir();
    const withFlags = run(['project', 'list', '--json', '--data-dir', dir], { NODE_OPTIONS: '--max-old-space-size=4096' });
    expect(withFlags.status, withFlags.stderr).toBe(0);
    expect(JSON.parse(withFlags.stdout)).toEqual([]);
    // Through a relative symlink, as npm links it into node_modules/.bin.
    const links = tempDir();
    fs.mkdirSync(path.join(links, 'bin'));
    fs.symlinkSync(path.relative(path.join(links, 'bin'), COMMAND), path.join(links, 'bin', 'tunebench'));
    const linked = spawnSync(path.join(links, 'bin', 'tunebench'), ['--version'], { encoding: 'utf8' });
    expect(linked.status, linked.stderr).toBe(0);
    expect(linked.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('a stamp for another Node runs the plain CLI instead', () => {
    const stamp = path.join(SNAP, 'node-stamp');
    const saved = fs.readFileSync(stamp, 'utf8');
    try {
      fs.writeFileSync(stamp, `${ROOT} /nowhere/node\n`);
      const dir = tempDir();
      const r = run(['project', 'list', '--json', '--data-dir', dir]);
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([]);
    } finally {
      fs.writeFileSync(stamp, saved);
    }
  });
});
