// What code a run used: the files of a local directory (git's view of it when it is a repository,
// so .gitignore is respected), their digest, and the git commit plus a digest of uncommitted changes.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { EngineError } from '../errors';

export const MAX_CODE_FILES = 10_000;
export const MAX_CODE_BYTES = 500 * 1024 * 1024;

export interface CodeSnapshot {
  dir: string;
  files: { path: string; size: number; sha256: string }[];
  /** sha256 over every file's path and content digest: equal code, equal digest. */
  digest: string;
  git: { commit: string | null; dirty: boolean; changesSha256: string | null } | null;
}

function git(dir: string, args: string[]): Buffer | null {
  try {
    return execFileSync('git', ['-C', dir, ...args], { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 * 1024 * 1024 });
  } catch {
    return null;
  }
}

function walk(root: string): string[] {
  const out: string[] = [];
  const visit = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (entry.name.startsWith('.') || entry.name === '__pycache__' || entry.name === 'node_modules') continue;
        visit(child);
      } else if (entry.isFile()) out.push(child);
      if (out.length > MAX_CODE_FILES) return;
    }
  };
  visit('');
  return out;
}

const sha256 = (data: Buffer | string) => crypto.createHash('sha256').update(data).digest('hex');

export function snapshotCode(dirInput: string): CodeSnapshot {
  const dir = path.resolve(dirInput);
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new EngineError('VALIDATION_FAILED', `The code directory ${dir} does not exist or is not a directory.`);
  }
  const inRepo = git(dir, ['rev-parse', '--is-inside-work-tree'])?.toString().trim() === 'true';
  const names = inRepo
    ? git(dir, ['ls-files', '-co', '--exclude-standard', '-z'])!
        .toString()
        .split('\0')
        .filter((f) => f && fs.statSync(path.join(dir, f), { throwIfNoEntry: false })?.isFile())
    : walk(dir);
  if (names.length > MAX_CODE_FILES) {
    throw new EngineError('VALIDATION_FAILED', `${dir} has more than ${MAX_CODE_FILES} files. Point --code at the code itself, or list data and outputs in .gitignore.`);
  }
  let total = 0;
  const files = names.sort().map((rel) => {
    const data = fs.readFileSync(path.join(dir, rel));
    total += data.length;
    if (total > MAX_CODE_BYTES) {
      throw new EngineError('VALIDATION_FAILED', `${dir} holds more than ${MAX_CODE_BYTES / 2 ** 20} MiB of files. Keep data and checkpoints out of the code directory (or in .gitignore).`);
    }
    return { path: rel, size: data.length, sha256: sha256(data) };
  });
  const digest = sha256(files.map((f) => `${f.path}\0${f.sha256}\n`).join(''));
  let gitInfo: CodeSnapshot['git'] = null;
  if (inRepo) {
    const commit = git(dir, ['rev-parse', 'HEAD'])?.toString().trim() || null;
    const status = git(dir, ['status', '--porcelain', '--', '.'])?.toString() ?? '';
    const dirty = status.trim() !== '';
    let changesSha256: string | null = null;
    if (dirty) {
      const diff = git(dir, ['diff', 'HEAD', '--binary', '--', '.']) ?? Buffer.alloc(0);
      const untracked = (git(dir, ['ls-files', '-o', '--exclude-standard', '-z'])?.toString() ?? '').split('\0').filter(Boolean).sort();
      changesSha256 = sha256(Buffer.concat([diff, Buffer.from(untracked.map((f) => `${f}\0${files.find((x) => x.path === f)?.sha256 ?? ''}\n`).join(''))]));
    }
    gitInfo = { commit, dirty, changesSha256 };
  }
  return { dir, files, digest, git: gitInfo };
}
