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
  /** Regular files; `executable` when the owner may run it here (uploaded 0700, else 0600). */
  files: { path: string; size: number; sha256: string; executable: boolean }[];
  /**
   * Symbolic links that stay inside the directory, uploaded as links. `target` is relative to the
   * link's folder and resolved through any chain of links, so it points at the same file there.
   */
  links: { path: string; target: string }[];
  /** Links that lead out of the directory (or nowhere), and paths that pass through a link: never read, not uploaded. */
  skipped: { path: string; why: string }[];
  /** The bytes that were hashed, by path: the launcher uploads these, so the digest is of what ran. */
  contents: Map<string, Buffer>;
  /** sha256 over every file's path and content digest and every link's path and target: equal code, equal digest. */
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

/** Files and links under root, as git would list them without a .gitignore. Links are not followed. */
function walk(root: string): string[] {
  const out: string[] = [];
  const visit = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (entry.name.startsWith('.') || entry.name === '__pycache__' || entry.name === 'node_modules') continue;
        visit(child);
      } else if (entry.isFile() || entry.isSymbolicLink()) out.push(child);
      if (out.length > MAX_CODE_FILES) return;
    }
  };
  visit('');
  return out;
}

const sha256 = (data: Buffer | string) => crypto.createHash('sha256').update(data).digest('hex');

const inside = (root: string, p: string) => p === root || p.startsWith(root + path.sep);

type Entry = { kind: 'file'; data: Buffer; executable: boolean } | { kind: 'link'; target: string } | { kind: 'skipped'; why: string } | null;

/**
 * Reads one listed path without ever reading through a link: `creds -> ~/.ssh/id_rsa` in a repository
 * must not send the key to a GPU host. A link is kept as a link when it resolves inside the directory;
 * a path whose folders pass through a link is not read at all (git lists a folder replaced by a link
 * by its old paths; their real files, when inside, are listed under their own paths).
 */
function readEntry(root: string, rel: string, realFolder: (rel: string) => string | null): Entry {
  const abs = path.join(root, rel);
  const folder = path.dirname(abs);
  const realParent = realFolder(path.dirname(rel));
  if (realParent === null) return null; // deleted, folder and all, since git listed it
  if (realParent !== folder) return { kind: 'skipped', why: 'its folder is a symbolic link' };
  const st = fs.lstatSync(abs, { throwIfNoEntry: false });
  if (!st) return null; // deleted since git listed it
  if (st.isSymbolicLink()) {
    let real: string;
    try {
      real = fs.realpathSync(abs); // follows the whole chain, as opening it would
    } catch {
      return { kind: 'skipped', why: 'a symbolic link that leads nowhere' };
    }
    if (!inside(root, real)) return { kind: 'skipped', why: 'a symbolic link that leads out of the code directory' };
    return { kind: 'link', target: path.relative(folder, real).split(path.sep).join('/') || '.' };
  }
  if (!st.isFile()) return null; // a submodule's folder, a socket
  // A hard link is the same file under another name, which may be outside the directory (a key).
  if (st.nlink > 1) return { kind: 'skipped', why: 'a hard link (its other names may be outside the code directory)' };
  // O_NOFOLLOW: a file swapped for a link since the lstat above is refused, not followed; O_NONBLOCK: one
  // swapped for a FIFO does not hold the engine waiting for a writer.
  const fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  try {
    const opened = fs.fstatSync(fd);
    if (!opened.isFile() || opened.nlink > 1) return null;
    // Checked before reading: a file over the whole budget (or over Node's 2 GiB read limit) is never read.
    if (opened.size > MAX_CODE_BYTES) {
      throw new EngineError(
        'VALIDATION_FAILED',
        `${rel} is ${(opened.size / 2 ** 20).toFixed(0)} MiB: over the ${MAX_CODE_BYTES / 2 ** 20} MiB a code directory may hold. Keep data and checkpoints out of the code directory (or in .gitignore).`,
      );
    }
    return { kind: 'file', data: fs.readFileSync(fd), executable: (opened.mode & 0o100) !== 0 };
  } finally {
    fs.closeSync(fd);
  }
}

export function snapshotCode(dirInput: string): CodeSnapshot {
  const dir = path.resolve(dirInput);
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new EngineError('VALIDATION_FAILED', `The code directory ${dir} does not exist or is not a directory.`);
  }
  // The directory the user named may itself be a link (they chose it); what is inside is judged against its real path.
  const root = fs.realpathSync(dir);
  const inRepo = git(root, ['rev-parse', '--is-inside-work-tree'])?.toString().trim() === 'true';
  // git lists symbolic links as they are (it never descends into a linked folder), like walk().
  const names = inRepo ? git(root, ['ls-files', '-co', '--exclude-standard', '-z'])!.toString().split('\0').filter(Boolean) : walk(root);
  if (names.length > MAX_CODE_FILES) {
    throw new EngineError('VALIDATION_FAILED', `${dir} has more than ${MAX_CODE_FILES} files. Point --code at the code itself, or list data and outputs in .gitignore.`);
  }
  const folders = new Map<string, string | null>();
  const realFolder = (rel: string): string | null => {
    if (!folders.has(rel)) {
      let real: string | null = null;
      try {
        real = fs.realpathSync(path.join(root, rel));
      } catch {
        // gone
      }
      folders.set(rel, real);
    }
    return folders.get(rel)!;
  };
  let total = 0;
  const contents = new Map<string, Buffer>();
  const files: CodeSnapshot['files'] = [];
  const links: CodeSnapshot['links'] = [];
  const skipped: CodeSnapshot['skipped'] = [];
  const lines: string[] = [];
  for (const rel of [...new Set(names)].sort()) {
    const entry = readEntry(root, rel, realFolder);
    if (entry?.kind === 'skipped') skipped.push({ path: rel, why: entry.why });
    else if (entry?.kind === 'link') {
      links.push({ path: rel, target: entry.target });
      lines.push(`${rel}\0->${entry.target}\n`);
    } else if (entry?.kind === 'file') {
      contents.set(rel, entry.data);
      total += entry.data.length;
      if (total > MAX_CODE_BYTES) {
        throw new EngineError('VALIDATION_FAILED', `${dir} holds more than ${MAX_CODE_BYTES / 2 ** 20} MiB of files. Keep data and checkpoints out of the code directory (or in .gitignore).`);
      }
      const file = { path: rel, size: entry.data.length, sha256: sha256(entry.data), executable: entry.executable };
      files.push(file);
      lines.push(`${rel}\0${file.sha256}\n`);
    }
  }
  const digest = sha256(lines.join(''));
  let gitInfo: CodeSnapshot['git'] = null;
  if (inRepo) {
    const commit = git(root, ['rev-parse', 'HEAD'])?.toString().trim() || null;
    // Uncommitted changes: the diff against HEAD (staged, unstaged, deleted) and untracked files.
    const diff = git(root, ['diff', 'HEAD', '--binary', '--', '.']) ?? Buffer.alloc(0);
    const untracked = (git(root, ['ls-files', '-o', '--exclude-standard', '-z'])?.toString() ?? '').split('\0').filter(Boolean).sort();
    const dirty = diff.length > 0 || untracked.length > 0;
    const digestOf = new Map([...files.map((f) => [f.path, f.sha256] as const), ...links.map((l) => [l.path, `->${l.target}`] as const)]);
    const changesSha256 = dirty ? sha256(Buffer.concat([diff, Buffer.from(untracked.map((f) => `${f}\0${digestOf.get(f) ?? ''}\n`).join(''))])) : null;
    gitInfo = { commit, dirty, changesSha256 };
  }
  return { dir, files, links, skipped, contents, digest, git: gitInfo };
}
