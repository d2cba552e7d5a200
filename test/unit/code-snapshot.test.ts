// What `--code DIR` takes from a directory: never a file reached through a symbolic link that leaves it
// (a repository with `creds -> ~/.ssh/id_rsa` must not send the key to a GPU host), in-tree links as
// links, the same for git repositories and plain folders, and a digest that covers link targets.
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { snapshotCode } from '../../src/main/runs/code-snapshot';
import { tempDir } from '../support/tunebench';

const SECRET = '-----BEGIN OPENSSH PRIVATE KEY----- not-for-the-gpu-host';

/** A code folder with every kind of link, and secrets outside it that links point at. */
function tree(kind: 'git' | 'plain'): { dir: string; outside: string } {
  const outside = tempDir('tb-outside-');
  fs.writeFileSync(path.join(outside, 'id_rsa'), SECRET);
  fs.mkdirSync(path.join(outside, 'keys'));
  fs.writeFileSync(path.join(outside, 'keys', 'token'), SECRET);
  fs.writeFileSync(path.join(outside, 'settings.py'), SECRET);
  const dir = tempDir('tb-code-');
  const g = (...args: string[]) => execFileSync('git', ['-C', dir, '-c', 'user.email=t@example.org', '-c', 'user.name=t', ...args], { stdio: 'ignore' });
  fs.writeFileSync(path.join(dir, 'train.py'), 'print("train")\n');
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.writeFileSync(path.join(dir, 'sub', 'mod.py'), 'X = 1\n');
  fs.mkdirSync(path.join(dir, 'cfg'));
  fs.writeFileSync(path.join(dir, 'cfg', 'settings.py'), 'S = 1\n');
  if (kind === 'git') {
    g('init', '-q');
    g('add', '.');
    g('commit', '-q', '-m', 'first');
  }
  // A tracked folder replaced by a link out: git still lists cfg/settings.py from its index.
  fs.rmSync(path.join(dir, 'cfg'), { recursive: true });
  fs.symlinkSync(outside, path.join(dir, 'cfg'));
  // Links that stay inside: relative, absolute, a chain, to a folder, to the directory itself.
  fs.symlinkSync('train.py', path.join(dir, 'alias.py'));
  fs.symlinkSync(path.join(dir, 'train.py'), path.join(dir, 'abs-alias.py'));
  fs.symlinkSync('alias.py', path.join(dir, 'chain.py'));
  fs.symlinkSync('sub', path.join(dir, 'lib'));
  fs.symlinkSync('../train.py', path.join(dir, 'sub', 'up.py'));
  // Links that leave: to a file, through a chain, to a folder, upwards, nowhere, a loop.
  fs.symlinkSync(path.join(outside, 'id_rsa'), path.join(dir, 'creds'));
  fs.symlinkSync('creds', path.join(dir, 'creds-chain'));
  fs.symlinkSync(path.join(outside, 'keys'), path.join(dir, 'keys'));
  fs.symlinkSync('..', path.join(dir, 'parent'));
  fs.symlinkSync('no/such/file', path.join(dir, 'dangling'));
  fs.symlinkSync('loop-b', path.join(dir, 'loop-a'));
  fs.symlinkSync('loop-a', path.join(dir, 'loop-b'));
  if (kind === 'git') {
    g('add', 'alias.py', 'creds'); // some links tracked, the rest untracked: git lists both
    g('commit', '-q', '-m', 'links');
  }
  return { dir, outside };
}

describe('a code snapshot', () => {
  it.each(['git', 'plain'] as const)('of a %s folder never reads through a link that leaves it, and keeps in-tree links as links', (kind) => {
    const { dir } = tree(kind);
    const snap = snapshotCode(dir);
    expect(snap.files.map((f) => f.path)).toEqual(['sub/mod.py', 'train.py']);
    for (const data of snap.contents.values()) expect(data.toString()).not.toContain(SECRET);
    expect(snap.links).toEqual([
      { path: 'abs-alias.py', target: 'train.py' },
      { path: 'alias.py', target: 'train.py' },
      { path: 'chain.py', target: 'train.py' },
      { path: 'lib', target: 'sub' },
      { path: 'sub/up.py', target: '../train.py' },
    ]);
    const skipped = Object.fromEntries(snap.skipped.map((s) => [s.path, s.why]));
    for (const p of ['creds', 'creds-chain', 'keys', 'parent']) expect(skipped[p]).toMatch(/leads out of the code directory/);
    for (const p of ['dangling', 'loop-a', 'loop-b']) expect(skipped[p]).toMatch(/leads nowhere/);
    if (kind === 'git') expect(skipped['cfg/settings.py']).toMatch(/folder is a symbolic link/);
    else expect(skipped['cfg']).toMatch(/leads out/);
  });

  it('leaves out tracked files deleted with their folder, without calling them links', () => {
    const dir = tempDir('tb-code-');
    const g = (...args: string[]) => execFileSync('git', ['-C', dir, '-c', 'user.email=t@example.org', '-c', 'user.name=t', ...args], { stdio: 'ignore' });
    fs.mkdirSync(path.join(dir, 'old'));
    fs.writeFileSync(path.join(dir, 'old', 'gone.py'), 'G\n');
    fs.writeFileSync(path.join(dir, 'kept.py'), 'K\n');
    g('init', '-q');
    g('add', '.');
    g('commit', '-q', '-m', 'first');
    fs.rmSync(path.join(dir, 'old'), { recursive: true });
    const snap = snapshotCode(dir);
    expect(snap.files.map((f) => f.path)).toEqual(['kept.py']);
    expect(snap.skipped).toEqual([]);
    expect(snap.git?.dirty).toBe(true);
  });

  it('gives git and plain folders with the same files the same digest', () => {
    expect(snapshotCode(tree('git').dir).digest).toBe(snapshotCode(tree('plain').dir).digest);
  });

  it('covers link targets: a link moved to another file, or replaced by a copy, is other code', () => {
    const dir = tempDir('tb-code-');
    fs.writeFileSync(path.join(dir, 'a.py'), 'A\n');
    fs.writeFileSync(path.join(dir, 'b.py'), 'A\n'); // same bytes as a.py
    fs.symlinkSync('a.py', path.join(dir, 'run.py'));
    const first = snapshotCode(dir).digest;
    fs.unlinkSync(path.join(dir, 'run.py'));
    fs.symlinkSync('b.py', path.join(dir, 'run.py'));
    const moved = snapshotCode(dir).digest;
    fs.unlinkSync(path.join(dir, 'run.py'));
    fs.writeFileSync(path.join(dir, 'run.py'), 'A\n');
    const copied = snapshotCode(dir).digest;
    expect(new Set([first, moved, copied]).size).toBe(3);
  });

  it('keeps the digest of a folder without links as it was (runs launched before compare equal)', () => {
    const dir = tempDir('tb-code-');
    fs.writeFileSync(path.join(dir, 'train.py'), 'print(1)\n');
    fs.mkdirSync(path.join(dir, 'pkg'));
    fs.writeFileSync(path.join(dir, 'pkg', 'm.py'), 'X = 2\n');
    const sha = (d: string | Buffer) => crypto.createHash('sha256').update(d).digest('hex');
    const old = sha(['pkg/m.py', 'train.py'].map((f) => `${f}\0${sha(fs.readFileSync(path.join(dir, f)))}\n`).join(''));
    expect(snapshotCode(dir).digest).toBe(old);
  });

  it('follows the code directory itself when the user names it through a link', () => {
    const { dir } = tree('plain');
    const named = path.join(tempDir('tb-named-'), 'code');
    fs.symlinkSync(dir, named);
    const snap = snapshotCode(named);
    expect(snap.files.map((f) => f.path)).toEqual(['sub/mod.py', 'train.py']);
    expect(snap.links.map((l) => l.path)).toContain('abs-alias.py');
  });
});
