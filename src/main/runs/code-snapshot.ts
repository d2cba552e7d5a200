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
  /** The bytes that were hashed, by path: the launcher uploads these, so the digest is of what ran. */
  contents: Map<string, Buffer>;
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
  const contents = new Map<string, Buffer>();
  const files = names.sort().map((rel) => {
    const data = fs.readFileSync(path.join(dir, rel));
    contents.set(rel, data);
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
    // Uncommitted changes: the diff against HEAD (staged, unstaged, deleted) and untracked files.
    const diff = git(dir, ['diff', 'HEAD', '--binary', '--', '.']) ?? Buffer.alloc(0);
    const untracked = (git(dir, ['ls-files', '-o', '--exclude-standard', '-z'])?.toString() ?? '').split('\0').filter(Boolean).sort();
    const dirty = diff.length > 0 || untracked.length > 0;
    const digestOf = new Map(files.map((f) => [f.path, f.sha256]));
    const changesSha256 = dirty ? sha256(Buffer.concat([diff, Buffer.from(untracked.map((f) => `${f}\0${digestOf.get(f) ?? ''}\n`).join(''))])) : null;
    gitInfo = { commit, dirty, changesSha256 };
  }
  return { dir, files, contents, digest, git: gitInfo };
}
