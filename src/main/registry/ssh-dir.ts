// A model registry that is a plain directory on a host reached through a HostAccess (SSH or this
// machine). Its guarantees come from the filesystem, not from a server: a version appears by one
// rename(2) of a whole staged directory (so readers never see half of one and two pushers of the
// same version cannot both win), an alias is replaced by rename too, and logs only ever grow by
// one O_APPEND write per line. Layout: docs in /work/shared/design/trust.md, "Registries".
// Scripts are POSIX sh with GNU coreutils (mv -T, cp --reflink, sha256sum, dd oflag=append).
import crypto from 'node:crypto';
import path from 'node:path';
import { EngineError } from '../errors';
import { shQuote, type ExecResult, type HostAccess } from '../hosts/host-access';

/** `path` is relative to the version's files/ directory, '/'-separated. */
export interface FileDigest {
  path: string;
  sha256: string;
}
export interface FileHash extends FileDigest {
  size: number;
}
export interface AliasRecord {
  alias: string;
  from: string | null;
  to: string;
  who: string;
  at: string;
  approval: string | null;
}
export interface ApprovalLogEntry {
  digest: string;
  payload: string;
  signature: string;
  model: string;
  version: string;
  at: string;
}

/** What copies travel in: big enough to keep the link busy, small enough for two to sit in memory. */
export const CHUNK_BYTES = 8 * 1024 * 1024;
const SMALL_FILE_CAP = 16 * 1024 * 1024;
const MAX_LOG_LINE = 1024 * 1024;
const NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
// Names the layout itself uses at the same level: a model or version so named would collide.
const RESERVED: Record<'model' | 'version' | 'alias', ReadonlySet<string>> = {
  model: new Set(['allowed_signers', 'approvals.log']),
  version: new Set(['aliases', 'aliases.log']),
  alias: new Set(),
};
const STAGING = /^\.staging-[0-9a-f]{32}$/;
// Exit codes our scripts use to say what went wrong, as opposed to a command that failed.
const [MISSING, EXISTS, NO_TARGET, SHORT] = [10, 11, 12, 13];
// Printed first by every script: what a chatty ~/.bashrc prints before it is not our output.
const MARK = '--tunebench-registry--';

export function checkName(kind: 'model' | 'version' | 'alias', name: string): string {
  if (!NAME.test(name) || RESERVED[kind].has(name)) {
    throw new EngineError(
      'VALIDATION_FAILED',
      `"${name.slice(0, 140)}" is not a valid ${kind} name: use letters, digits, '.', '_' and '-', at most 128, not starting with '.'${RESERVED[kind].size ? `, and not ${[...RESERVED[kind]].join(' or ')}` : ''}.`,
    );
  }
  return name;
}

/** A model file's path inside the version: relative, no '.' or '..' parts, nothing sha256sum would escape. */
export function checkRelPath(rel: string): string {
  const parts = rel.split('/');
  // Backslashes and control characters make sha256sum escape the name, so SHA256SUMS would no
  // longer say plainly which file a line is about.
  if (!rel || rel.length > 4096 || /[\\\x00-\x1f\x7f]/.test(rel) || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new EngineError('VALIDATION_FAILED', `"${rel.slice(0, 200)}" is not a valid file path in a model: give a relative path without '.', '..', empty parts, backslashes or control characters.`);
  }
  return rel;
}

export class SshDirRegistry {
  readonly root: string;

  /** `root`: absolute, or relative to the login directory (where both exec and SFTP start). */
  constructor(
    private readonly access: HostAccess,
    root: string,
  ) {
    if (!root || /[\x00-\x1f]/.test(root)) throw new EngineError('VALIDATION_FAILED', 'Give the registry directory as a path.');
    // Normalized, so a staging path we handed out compares equal to root + model + name.
    this.root = path.posix.normalize(root).replace(/(?<=.)\/+$/, '');
  }

  private at(...parts: string[]): string {
    return path.posix.join(this.root, ...parts);
  }

  private async sh(script: string, stdin?: string | Buffer): Promise<ExecResult> {
    const r = await this.access.exec(`printf '%s\\n' ${MARK}\n${script}`, stdin === undefined ? {} : { stdin });
    const at = r.stdout.indexOf(`${MARK}\n`);
    return at < 0 ? r : { ...r, stdout: r.stdout.slice(at + MARK.length + 1) };
  }

  private failed(what: string, r: ExecResult): EngineError {
    return new EngineError('REMOTE_COMMAND_FAILED', `${what} failed in the registry at ${this.root} (exit ${r.code}): ${r.stderr.trim().slice(-500) || 'no output'}.`);
  }

  private noRegistry(): EngineError {
    return new EngineError('REGISTRY_NOT_FOUND', `There is no registry at ${this.root}: create it first (init).`);
  }

  /** Up to `cap` bytes of a file, or null when it does not exist. */
  private async readWhole(file: string, cap: number): Promise<Buffer | null> {
    const parts: Buffer[] = [];
    let total = 0;
    try {
      for (;;) {
        const want = Math.min(4 * 1024 * 1024, cap + 1 - total);
        const piece = await this.access.readRange(file, total, want);
        parts.push(piece);
        total += piece.length;
        if (total > cap) throw new EngineError('REGISTRY_REFUSED', `${file} is larger than ${cap} bytes; it is not read whole.`);
        if (piece.length < want) break;
      }
    } catch (err) {
      // SFTP says 2 (no such file); the local filesystem says ENOENT or ENOTDIR.
      const code = (err as { code?: unknown }).code;
      if (code === 2 || code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw err;
    }
    return Buffer.concat(parts);
  }

  /** Whole lines of a JSON-lines log; a last line without its newline is not whole yet and is left out. */
  private async logLines(file: string): Promise<string[]> {
    const text = (await this.readWhole(file, 1024 * 1024 * 1024))?.toString('utf8') ?? '';
    return text
      .split('\n')
      .slice(0, -1)
      .filter((l) => l !== '');
  }

  /** Creates the registry (or updates its allowed signers); never touches an existing approvals.log. */
  async init(allowedSigners: string): Promise<void> {
    const r = this.at('.allowed_signers.' + crypto.randomBytes(8).toString('hex'));
    const script = [
      `R=${shQuote(this.root)}`,
      // A non-empty directory that is no registry is probably a typo ($HOME): refuse to fill it.
      `if [ -d "$R" ] && [ ! -e "$R/allowed_signers" ] && [ -n "$(ls -A -- "$R")" ]; then exit ${EXISTS}; fi`,
      'mkdir -p -- "$R"',
      `T=${shQuote(r)}`,
      `trap 'rm -f -- "$T"' EXIT`,
      'cat > "$T" && chmod 644 -- "$T" && mv -f -- "$T" "$R/allowed_signers" && : >> "$R/approvals.log"',
    ].join('\n');
    const res = await this.sh(script, allowedSigners.endsWith('\n') || allowedSigners === '' ? allowedSigners : allowedSigners + '\n');
    if (res.code === EXISTS) throw new EngineError('REGISTRY_REFUSED', `${this.root} is a non-empty directory that is not a registry. Choose an empty or new directory.`);
    if (res.code !== 0) throw this.failed('Creating the registry', res);
  }

  async allowedSigners(): Promise<string> {
    const b = await this.readWhole(this.at('allowed_signers'), SMALL_FILE_CAP);
    if (!b) throw this.noRegistry();
    return b.toString('utf8');
  }

  async versionManifest(model: string, version: string): Promise<Buffer | null> {
    return this.readWhole(this.at(checkName('model', model), checkName('version', version), 'manifest.json'), SMALL_FILE_CAP);
  }

  /** A fresh staging directory; nothing in it is visible as a version until commitVersion. */
  async beginVersion(model: string): Promise<{ stagingDir: string }> {
    const stagingDir = this.at(checkName('model', model), `.staging-${crypto.randomBytes(16).toString('hex')}`);
    const r = await this.sh(
      `[ -e ${shQuote(this.at('allowed_signers'))} ] || exit ${MISSING}\nmkdir -p -- ${shQuote(this.at(model))} && mkdir -- ${shQuote(stagingDir)} ${shQuote(stagingDir + '/files')}`,
      'begin',
    );
    if (r.code === MISSING) throw this.noRegistry();
    if (r.code !== 0) throw this.failed(`Starting an upload of ${model}`, r);
    return { stagingDir };
  }

  /** The model a staging directory belongs to; refuses any path that is not one of ours. */
  private stagingModel(stagingDir: string): string {
    const model = path.posix.basename(path.posix.dirname(stagingDir));
    if (path.posix.dirname(path.posix.dirname(stagingDir)) !== this.root || !STAGING.test(path.posix.basename(stagingDir)) || !NAME.test(model)) {
      throw new EngineError('VALIDATION_FAILED', `${stagingDir} is not a staging directory of the registry at ${this.root}.`);
    }
    return model;
  }

  private async mkdirFor(stagingDir: string, rel: string): Promise<string> {
    this.stagingModel(stagingDir);
    const dest = `${stagingDir}/files/${checkRelPath(rel)}`;
    if (rel.includes('/')) {
      const r = await this.sh(`mkdir -p -- ${shQuote(path.posix.dirname(dest))}`);
      if (r.code !== 0) throw this.failed(`Creating the folder of ${rel}`, r);
    }
    return dest;
  }

  /**
   * Copies one model file into the staging directory from any source, in chunks of CHUNK_BYTES:
   * the next chunk is read while the last one is written, so at most two are in memory.
   */
  async writeStagedFile(stagingDir: string, relPath: string, read: (offset: number, length: number) => Promise<Buffer>, size: number): Promise<void> {
    if (!Number.isSafeInteger(size) || size < 0) throw new EngineError('VALIDATION_FAILED', `Bad size ${size} for ${relPath}.`);
    const dest = await this.mkdirFor(stagingDir, relPath);
    const fetch = async (offset: number): Promise<Buffer> => {
      const length = Math.min(CHUNK_BYTES, size - offset);
      const buf = await read(offset, length);
      // A short read means the source shrank under us; the digest check would catch it, later.
      if (buf.length !== length)
        throw new EngineError('VALIDATION_FAILED', `The source of ${relPath} gave ${buf.length} bytes at offset ${offset} where ${length} were expected: did it change during the push?`);
      return buf;
    };
    if (size === 0) return this.access.writeRange(dest, 0, Buffer.alloc(0), { create: true, mode: 0o644 });
    let next: Promise<Buffer> | undefined = fetch(0);
    for (let offset = 0; next; offset += CHUNK_BYTES) {
      const buf: Buffer = await next;
      next = offset + CHUNK_BYTES < size ? fetch(offset + CHUNK_BYTES) : undefined;
      next?.catch(() => {}); // awaited on the next turn; a failed write first must not leave it unhandled
      await this.access.writeRange(dest, offset, buf, offset === 0 ? { create: true, mode: 0o644 } : {});
    }
  }

  /** When the source is on the registry's host: a copy there (a reflink where the filesystem can). */
  async copyLocal(stagingDir: string, relPath: string, sourcePath: string): Promise<void> {
    const dest = await this.mkdirFor(stagingDir, relPath);
    const r = await this.sh(`cp --reflink=auto -- ${shQuote(sourcePath)} ${shQuote(dest)}`);
    if (r.code !== 0) throw this.failed(`Copying ${sourcePath}`, r);
  }

  /** A small file beside files/: manifest.json, approval.json, approval.json.sig, report.html, lineage.json. */
  async writeStagedText(stagingDir: string, relPath: string, text: string): Promise<void> {
    this.stagingModel(stagingDir);
    // Plain names beside files/; SHA256SUMS is the registry's own, computed at commit.
    if (!NAME.test(relPath) || relPath === 'files' || relPath === 'SHA256SUMS') {
      throw new EngineError('VALIDATION_FAILED', `"${relPath.slice(0, 140)}" cannot be written beside a version's files: give a plain file name (not files or SHA256SUMS).`);
    }
    await this.access.writeFile(`${stagingDir}/${relPath}`, text, 0o644);
  }

  /**
   * Makes the staged upload the version `model@version`, or refuses. SHA256SUMS is computed by
   * sha256sum on the host, from the bytes that landed, and must list exactly `expected`. Then one
   * `mv -T`: rename(2) onto an existing non-empty directory fails, so of racing pushers exactly one
   * wins. Whatever happens, the staging directory is gone afterwards.
   */
  async commitVersion(model: string, version: string, stagingDir: string, expected: readonly FileDigest[]): Promise<void> {
    checkName('model', model);
    checkName('version', version);
    if (this.stagingModel(stagingDir) !== model) throw new EngineError('VALIDATION_FAILED', `${stagingDir} is not a staging directory of ${model}.`);
    const want = new Map<string, string>();
    for (const f of expected) {
      if (!/^[0-9a-f]{64}$/.test(f.sha256)) throw new EngineError('VALIDATION_FAILED', `"${f.sha256}" is not a sha256 for ${f.path}.`);
      if (want.has(checkRelPath(f.path))) throw new EngineError('VALIDATION_FAILED', `${f.path} is listed twice.`);
      want.set(f.path, f.sha256);
    }
    const target = this.at(model, version);
    const refuse = (sameContent: boolean, during: 'check' | 'rename') =>
      new EngineError(
        'REGISTRY_REFUSED',
        `${model}@${version} exists already${sameContent ? ' (with the same files)' : ', with other content'}: a version is written once. Push under a new version.`,
        {
          model,
          version,
          sameContent,
          during,
        },
      );
    try {
      const S = shQuote(stagingDir);
      const hashed = await this.sh(
        [
          `[ -e ${shQuote(target)} ] && exit ${EXISTS}`,
          `cd -- ${S} || exit ${MISSING}`,
          // Only regular files and folders: a symlink could point the registry anywhere.
          'odd=$(find files ! -type f ! -type d -print | head -n 1)',
          `[ -z "$odd" ] || { printf 'not a regular file: %s\\n' "$odd" >&2; exit 1; }`,
          'find files -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum -- > SHA256SUMS || exit 1',
          'cat SHA256SUMS',
        ].join('\n'),
      );
      if (hashed.code === EXISTS) throw refuse(false, 'check');
      if (hashed.code === MISSING) throw new EngineError('REGISTRY_NOT_FOUND', `The upload ${stagingDir} is gone (aborted, or cleaned up).`);
      if (hashed.code !== 0) throw this.failed(`Hashing the upload of ${model}@${version}`, hashed);
      const got = new Map<string, string>();
      for (const line of hashed.stdout.split('\n').filter(Boolean)) {
        const m = /^([0-9a-f]{64}) {2}files\/(.+)$/.exec(line);
        got.set(m ? m[2]! : line, m ? m[1]! : '');
      }
      const missing = [...want.keys()].filter((p) => !got.has(p));
      const extra = [...got.keys()].filter((p) => !want.has(p));
      const differ = [...want].filter(([p, h]) => got.has(p) && got.get(p) !== h).map(([p]) => p);
      if (missing.length || extra.length || differ.length) {
        throw new EngineError(
          'VERIFY_FAILED',
          `The upload of ${model}@${version} is not what was sent: ${[missing.length && `missing ${missing.slice(0, 3).join(', ')}`, extra.length && `unexpected ${extra.slice(0, 3).join(', ')}`, differ.length && `other bytes in ${differ.slice(0, 3).join(', ')}`].filter(Boolean).join('; ')}. Nothing was published.`,
          { missing, extra, differ },
        );
      }
      const moved = await this.sh(
        [
          // Read-only files: the version is write-once, and tools that open files for writing should fail.
          `find ${S} -type f -exec chmod a-w -- {} +`,
          `if err=$(mv -T -- ${S} ${shQuote(target)} 2>&1); then exit 0; fi`,
          `[ -d ${shQuote(target)} ] && exit ${EXISTS}`,
          `printf '%s\\n' "$err" >&2; exit 1`,
        ].join('\n'),
      );
      if (moved.code === EXISTS) {
        const theirs = await this.readWhole(`${target}/SHA256SUMS`, SMALL_FILE_CAP);
        throw refuse(theirs?.toString('utf8') === hashed.stdout, 'rename');
      }
      if (moved.code !== 0) throw this.failed(`Publishing ${model}@${version}`, moved);
    } catch (err) {
      await this.abortVersion(stagingDir).catch(() => {});
      throw err;
    }
  }

  async abortVersion(stagingDir: string): Promise<void> {
    this.stagingModel(stagingDir);
    const r = await this.sh(`rm -rf -- ${shQuote(stagingDir)}`);
    if (r.code !== 0) throw this.failed(`Removing ${stagingDir}`, r);
  }

  /** A small file of a version (`files/...` or one beside it), read whole; capped. */
  async readVersionFile(model: string, version: string, rel: string, cap = SMALL_FILE_CAP): Promise<Buffer> {
    const b = await this.readWhole(this.at(checkName('model', model), checkName('version', version), checkRelPath(rel)), cap);
    if (!b) throw new EngineError('REGISTRY_NOT_FOUND', `${model}@${version} has no ${rel} (or there is no such version).`);
    return b;
  }

  /** Directories not starting with '.': staging directories and temporary files never show. */
  private async listDirs(dir: string, kind: 'model' | 'version', missing: () => EngineError): Promise<string[]> {
    const r = await this.sh(`cd -- ${shQuote(dir)} 2>/dev/null || exit ${MISSING}\nfor d in *; do [ -d "$d" ] && printf '%s\\n' "$d"; done; exit 0`);
    if (r.code === MISSING) throw missing();
    if (r.code !== 0) throw this.failed('Listing', r);
    return r.stdout
      .split('\n')
      .filter((n) => NAME.test(n) && !RESERVED[kind].has(n))
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  }

  listModels(): Promise<string[]> {
    return this.listDirs(this.root, 'model', () => this.noRegistry());
  }

  listVersions(model: string): Promise<string[]> {
    return this.listDirs(this.at(checkName('model', model)), 'version', () => new EngineError('REGISTRY_NOT_FOUND', `The registry has no model ${model}.`));
  }

  async resolveAlias(model: string, alias: string): Promise<string | null> {
    const b = await this.readWhole(this.at(checkName('model', model), 'aliases', checkName('alias', alias)), 4096);
    if (!b) return null;
    const version = b.toString('utf8').split('\n')[0]!.trim();
    if (!NAME.test(version)) throw new EngineError('REGISTRY_REFUSED', `The alias ${model}:${alias} holds "${version.slice(0, 140)}", which is no version name; set it again.`);
    return version;
  }

  async listAliases(model: string): Promise<{ alias: string; version: string }[]> {
    const r = await this.sh(
      `cd -- ${shQuote(this.at(checkName('model', model), 'aliases'))} 2>/dev/null || exit 0\nfor a in *; do [ -f "$a" ] && printf '%s %s\\n' "$a" "$(head -n 1 -- "$a")"; done; exit 0`,
    );
    if (r.code !== 0) throw this.failed('Listing aliases', r);
    return r.stdout
      .split('\n')
      .map((l) => l.split(' '))
      .filter(([a, v]) => a && v && NAME.test(a) && NAME.test(v))
      .map(([alias, version]) => ({ alias: alias!, version: version! }));
  }

  /**
   * Points an alias at an existing version: a temporary file in aliases/ renamed over the old one,
   * then one line in aliases.log saying from where to where. Under flock, so two movers record
   * the history in the order the moves happened. Moving it where it already points writes nothing.
   */
  async setAlias(model: string, alias: string, version: string, record: { who: string; approval: string | null }): Promise<{ from: string | null; changed: boolean }> {
    checkName('model', model);
    checkName('alias', alias);
    checkName('version', version);
    if (record.who.length > 1024 || (record.approval?.length ?? 0) > 1024) throw new EngineError('VALIDATION_FAILED', 'The alias record is too long.');
    const at = new Date().toISOString();
    // The shell fills in only `from`, a checked name that needs no JSON escaping; the rest is ours.
    const prefix = `{"alias":${JSON.stringify(alias)},"from":`;
    const suffix = `,"to":${JSON.stringify(version)},"who":${JSON.stringify(record.who)},"at":${JSON.stringify(at)},"approval":${JSON.stringify(record.approval)}}`;
    const script = [
      `cd -- ${shQuote(this.at(model))} 2>/dev/null || exit ${MISSING}`,
      `[ -d ${shQuote(version)} ] || exit ${NO_TARGET}`,
      'mkdir -p aliases || exit 1',
      'exec 9>> aliases/.lock || exit 1',
      'if command -v flock >/dev/null 2>&1; then flock 9 || exit 1; fi',
      `from=$(head -n 1 -- ${shQuote(`aliases/${alias}`)} 2>/dev/null)`,
      `case $from in ''|.*|*[!A-Za-z0-9._-]*) f=null ;; *) f="\\"$from\\"" ;; esac`,
      `if [ "$from" = ${shQuote(version)} ]; then printf 'same\\n'; exit 0; fi`,
      `T=${shQuote(`aliases/.tmp-${crypto.randomBytes(8).toString('hex')}`)}`,
      `printf '%s\\n' ${shQuote(version)} > "$T" && mv -f -- "$T" ${shQuote(`aliases/${alias}`)} || { rm -f -- "$T"; exit 1; }`,
      `printf '%s%s%s\\n' ${shQuote(prefix)} "$f" ${shQuote(suffix)} | dd of=aliases.log oflag=append conv=notrunc bs=1M count=1 iflag=fullblock status=none || exit 1`,
      `printf 'moved %s\\n' "$from"`,
    ].join('\n');
    const r = await this.sh(script);
    if (r.code === MISSING) throw new EngineError('REGISTRY_NOT_FOUND', `The registry has no model ${model}.`);
    if (r.code === NO_TARGET) throw new EngineError('REGISTRY_REFUSED', `${model} has no version ${version}: an alias only points at a published version.`, { model, alias, version });
    if (r.code !== 0) throw this.failed(`Setting ${model}:${alias}`, r);
    const last = r.stdout.trimEnd().split('\n').pop() ?? '';
    if (last === 'same') return { from: version, changed: false };
    const from = last.replace(/^moved ?/, '');
    return { from: NAME.test(from) ? from : null, changed: true };
  }

  async aliasHistory(model: string): Promise<AliasRecord[]> {
    const out: AliasRecord[] = [];
    for (const line of await this.logLines(this.at(checkName('model', model), 'aliases.log'))) {
      try {
        out.push(JSON.parse(line) as AliasRecord);
      } catch {
        // a line someone edited by hand: the history shows what it can read
      }
    }
    return out;
  }

  /**
   * Appends one line to approvals.log with a single write(2) on an O_APPEND descriptor, which
   * concurrent writers on a local filesystem cannot interleave. The line is first landed whole in
   * a temporary file, so a link that drops mid-send appends nothing rather than half a line.
   */
  async appendApproval(entry: ApprovalLogEntry | string): Promise<void> {
    const line = typeof entry === 'string' ? entry : JSON.stringify(entry);
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
    }
    if (/[\r\n]/.test(line) || typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new EngineError('VALIDATION_FAILED', 'An approvals.log line is one JSON object on one line.');
    const data = Buffer.from(line + '\n', 'utf8');
    if (data.length > MAX_LOG_LINE) throw new EngineError('VALIDATION_FAILED', `An approvals.log line is at most ${MAX_LOG_LINE} bytes.`);
    const log = shQuote(this.at('approvals.log'));
    const script = [
      `[ -e ${log} ] || exit ${MISSING}`,
      `T=${shQuote(this.at(`.append-${crypto.randomBytes(8).toString('hex')}`))}`,
      `trap 'rm -f -- "$T"' EXIT`,
      'cat > "$T" || exit 1',
      `n=$(wc -c < "$T"); [ $n -eq ${data.length} ] || exit ${SHORT}`,
      `dd if="$T" of=${log} oflag=append conv=notrunc bs=${data.length} count=1 status=none`,
    ].join('\n');
    const r = await this.sh(script, data);
    if (r.code === MISSING) throw this.noRegistry();
    if (r.code === SHORT) throw new EngineError('REMOTE_COMMAND_FAILED', 'The approvals.log line did not arrive whole; nothing was appended. Try again.');
    if (r.code !== 0) throw this.failed('Appending to approvals.log', r);
  }

  approvalsLog(): Promise<string[]> {
    return this.logLines(this.at('approvals.log'));
  }

  /** Every file of a version hashed again on the host, for deep verification. Sorted by path. */
  async hashFiles(model: string, version: string): Promise<FileHash[]> {
    const dir = this.at(checkName('model', model), checkName('version', version));
    const r = await this.sh(
      `cd -- ${shQuote(dir)} 2>/dev/null || exit ${MISSING}\nfind files -type f -exec sh -c 'for f; do printf "%s %s\\n" "$(stat -c %s -- "$f")" "$(sha256sum -- "$f")"; done' sh {} +`,
    );
    if (r.code === MISSING) throw new EngineError('REGISTRY_NOT_FOUND', `The registry has no ${model}@${version}.`);
    if (r.code !== 0) throw this.failed(`Hashing ${model}@${version}`, r);
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const m = /^(\d+) ([0-9a-f]{64}) {2}files\/(.+)$/.exec(line);
        if (!m) throw new EngineError('REGISTRY_REFUSED', `${model}@${version} holds a file whose name sha256sum had to escape: ${line.slice(0, 200)}.`);
        return { path: m[3]!, sha256: m[2]!, size: Number(m[1]) };
      })
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}
