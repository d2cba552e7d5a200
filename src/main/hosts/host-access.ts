// What the launcher and the streamer need from a host, the same for this machine and for SSH.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Client, SFTPWrapper } from 'ssh2';
import { EngineError } from '../errors';

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface HostAccess {
  /** Runs a shell command (no PTY) and collects its output. */
  exec(command: string, options?: { stdin?: string | Buffer; timeoutMs?: number }): Promise<ExecResult>;
  /**
   * Creates (or replaces) a file. `mode` defaults to 0600: on a shared GPU server other users must
   * not read what we upload. The host's umask can only take bits away from it.
   */
  writeFile(file: string, data: string | Buffer, mode?: number): Promise<void>;
  /** Creates the symbolic link `linkPath` pointing at `target` (taken as is: relative to the link's folder). */
  symlink(target: string, linkPath: string): Promise<void>;
  /** Up to `length` bytes from `offset`; fewer at the end of the file. */
  readRange(file: string, offset: number, length: number): Promise<Buffer>;
  /**
   * Writes `data` at `offset` of an existing file, so a big file can be copied chunk by chunk
   * without holding it in memory. `create` at offset 0 creates or truncates the file first (with
   * `mode`); later chunks go into the file as it is.
   */
  writeRange(file: string, offset: number, data: Buffer, options?: { create?: boolean; mode?: number }): Promise<void>;
  /**
   * Starts a long-lived command and keeps its stdin open: what it prints arrives line by line until it
   * ends (or the link drops), when `onEnd` is called once.
   */
  spawn(command: string, onLine: (line: string) => void, onEnd: (why: string) => void): Promise<RemoteProcess>;
  close(): void;
  readonly closed: boolean;
}

/** A command started with spawn(): write to its stdin, or end it. */
export interface RemoteProcess {
  write(text: string): void;
  close(): void;
}

/** Splits a byte stream into lines (a line cut between two chunks is joined). */
function lineSplitter(onLine: (line: string) => void): (chunk: Buffer) => void {
  let rest = '';
  return (chunk) => {
    const text = rest + chunk.toString('utf8');
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  };
}

/** Quotes a string for a POSIX shell. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * A shell command whose files and folders only their owner can read (0700/0600), whatever the host's
 * umask (often 022, sometimes 000): run directories on a shared GPU server hold a team's code and data.
 */
export const privately = (command: string): string => `umask 077 && ${command}`;

/**
 * What an SSH exec hands the user's login shell. The engine's commands are POSIX sh (`cd X && ...`,
 * `$(...)`, redirects), but the login shell may be tcsh or fish: it is only asked to start /bin/sh,
 * which runs the command. The argument must read the same in every shell: inside single quotes,
 * sh, bash and zsh keep every character, but csh and tcsh refuse a newline and expand `!`, and fish
 * reads `\` as an escape. A command without those is quoted as it is (readable in `ps`); any other
 * travels as base64, which has no special character in any shell.
 */
// `source` (a host's Python may be "source venv/bin/activate && python") is bash's; dash has only `.`.
export const SOURCE_SHIM = 'command -v source >/dev/null 2>&1 || source() { . "$@"; }; ';

export function posixShellCommand(command: string): string {
  const script = `${SOURCE_SHIM}${command}`;
  if (!/[\\!\x00-\x08\x0a-\x1f\x7f]/.test(script)) return `exec /bin/sh -c ${shQuote(script)}`;
  return `exec /bin/sh -c 'eval "$(printf %s ${Buffer.from(script).toString('base64')} | base64 -d)"'`;
}

/** Runs a remote command that must succeed: its stdout, else REMOTE_COMMAND_FAILED saying what failed and the host's words. */
export async function runOrFail(access: HostAccess, command: string, what: string, timeoutMs = 60_000): Promise<string> {
  const r = await access.exec(command, { timeoutMs });
  if (r.code !== 0) throw new EngineError('REMOTE_COMMAND_FAILED', `${what} failed on the host (exit ${r.code}): ${r.stderr.trim().slice(-500) || r.stdout.trim().slice(-500) || 'no output'}.`);
  return r.stdout;
}

/**
 * The JSON our remote scripts print as their last line. Shell start-up files (~/.bashrc) sometimes
 * print text before it even for commands run over SSH: the last line is what counts.
 */
export function jsonOutput(stdout: string, what: string): unknown {
  const last = stdout.trimEnd().split('\n').pop() ?? '';
  try {
    return JSON.parse(last);
  } catch {
    throw new EngineError(
      'REMOTE_COMMAND_FAILED',
      `${what} did not print its result (got "${stdout.trim().slice(-200)}"). If a shell start-up file on the host (~/.bashrc) prints text, make it quiet for non-interactive shells.`,
    );
  }
}

export class LocalAccess implements HostAccess {
  closed = false;

  exec(command: string, options: { stdin?: string | Buffer; timeoutMs?: number } = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
      child.on('error', reject);
      child.on('close', (code) => {
        if (timer) clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      // A command that exits without reading its input closes the pipe first: that is no error.
      child.stdin.on('error', () => {});
      child.stdin.end(options.stdin ?? '');
    });
  }

  spawn(command: string, onLine: (line: string) => void, onEnd: (why: string) => void): Promise<RemoteProcess> {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'ignore'] });
    child.stdout.on('data', lineSplitter(onLine));
    let ended = false;
    const end = (why: string) => {
      if (!ended) onEnd(why);
      ended = true;
    };
    child.on('error', (err) => end(err.message));
    child.on('close', (code) => end(`it exited (${code})`));
    child.stdin.on('error', () => {});
    return Promise.resolve({ write: (text) => child.stdin.write(text), close: () => child.kill('SIGTERM') });
  }

  async writeFile(file: string, data: string | Buffer, mode = 0o600): Promise<void> {
    // Folders it creates are private too, whatever this process's umask.
    await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await fs.promises.writeFile(file, data, { mode });
  }

  async symlink(target: string, linkPath: string): Promise<void> {
    await fs.promises.symlink(target, linkPath);
  }

  async readRange(file: string, offset: number, length: number): Promise<Buffer> {
    const fh = await fs.promises.open(file, 'r');
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  async writeRange(file: string, offset: number, data: Buffer, options: { create?: boolean; mode?: number } = {}): Promise<void> {
    const fh = await fs.promises.open(file, options.create && offset === 0 ? 'w' : 'r+', options.mode ?? 0o600);
    try {
      let done = 0;
      while (done < data.length) {
        const { bytesWritten } = await fh.write(data, done, data.length - done, offset + done);
        done += bytesWritten;
      }
    } finally {
      await fh.close();
    }
  }

  close(): void {
    this.closed = true;
  }
}

const LOST = 'Lost the SSH connection';
const unreachable = (what: string, err: unknown) => new EngineError('HOST_UNREACHABLE', `${what}: ${err instanceof Error ? err.message : String(err)}. Try again; the connection is made anew.`);

export class SshAccess implements HostAccess {
  private ended = false;
  private sftpSession: Promise<SFTPWrapper> | undefined;

  constructor(private readonly client: Client) {
    client.on('close', () => (this.ended = true));
    client.on('error', () => (this.ended = true));
  }

  /**
   * Also true once the link's socket can no longer be written, as ssh2 itself judges before opening a
   * channel ("Not connected"): a server that restarted closes it some ticks before ssh2 says 'close',
   * and a pooled connection handed out meanwhile failed its next command as an unexpected error.
   */
  get closed(): boolean {
    const sock = (this.client as unknown as { _sock?: { writable?: boolean; destroyed?: boolean } })._sock;
    return this.ended || !sock || sock.destroyed === true || sock.writable === false;
  }

  /**
   * Opens a channel with `open`, whose callback must take the channel's events at once (a quick command's
   * output and exit can come with the open's answer). ssh2 throws at once when its socket has gone ("Not
   * connected"): that is HOST_UNREACHABLE, as a failed open is.
   */
  private opening(reject: (err: EngineError) => void, what: string, open: () => void): void {
    try {
      open();
    } catch (err) {
      this.ended = true;
      reject(unreachable(what, err));
    }
  }

  /**
   * Whether the account's login shell reads POSIX sh: sshd runs every command through it. bash, zsh, dash
   * and ksh do, and then commands go as they are, so what ~/.bashrc defines (`conda activate`, Lmod's
   * `module`) still works; csh, tcsh and fish do not, and then commands run under /bin/sh.
   */
  private posixLogin: Promise<boolean> | undefined;

  private loginShellIsPosix(): Promise<boolean> {
    // Asked of the shell itself, not guessed from its name: only a POSIX shell expands $((6*7)).
    this.posixLogin ??= this.run('echo $((6*7))', {}).then(
      (r) => r.code === 0 && /(^|\n)42\s*$/.test(r.stdout),
      () => true,
    );
    return this.posixLogin;
  }

  async exec(command: string, options: { stdin?: string | Buffer; timeoutMs?: number } = {}): Promise<ExecResult> {
    return this.run((await this.loginShellIsPosix()) ? `${SOURCE_SHIM}${command}` : posixShellCommand(command), options);
  }

  private run(command: string, options: { stdin?: string | Buffer; timeoutMs?: number }): Promise<ExecResult> {
    return new Promise((resolve, reject) =>
      this.opening(reject, LOST, () =>
        this.client.exec(command, (err, stream) => {
          if (err) return reject(unreachable(LOST, err));
          let stdout = '';
          let stderr = '';
          let code: number | null = null;
          const timer = options.timeoutMs ? setTimeout(() => stream.close(), options.timeoutMs) : undefined;
          stream.on('data', (d: Buffer) => (stdout += d));
          stream.stderr.on('data', (d: Buffer) => (stderr += d));
          stream.on('exit', (c: number | null) => (code = c));
          stream.on('close', () => {
            if (timer) clearTimeout(timer);
            resolve({ code, stdout, stderr });
          });
          stream.end(options.stdin ?? '');
        }),
      ),
    );
  }

  async spawn(command: string, onLine: (line: string) => void, onEnd: (why: string) => void): Promise<RemoteProcess> {
    const full = (await this.loginShellIsPosix()) ? `${SOURCE_SHIM}${command}` : posixShellCommand(command);
    return new Promise((resolve, reject) =>
      this.opening(reject, LOST, () =>
        this.client.exec(full, (err, stream) => {
          if (err) return reject(unreachable(LOST, err));
          let ended = false;
          const end = (why: string) => {
            if (!ended) onEnd(why);
            ended = true;
          };
          stream.on('data', lineSplitter(onLine));
          stream.stderr.resume();
          stream.on('close', () => end('the channel closed'));
          stream.on('error', (e: Error) => end(e.message));
          resolve({ write: (text) => stream.write(text), close: () => stream.close() });
        }),
      ),
    );
  }

  private sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= new Promise((resolve, reject) => {
      const failed = (err: EngineError) => {
        this.sftpSession = undefined;
        reject(err);
      };
      this.opening(failed, 'Cannot open SFTP', () =>
        this.client.sftp((err, sftp) => {
          if (err) return failed(unreachable('Cannot open SFTP', err));
          sftp.on('close', () => (this.sftpSession = undefined));
          resolve(sftp);
        }),
      );
    });
    return this.sftpSession;
  }

  async writeFile(file: string, data: string | Buffer, mode = 0o600): Promise<void> {
    const sftp = await this.sftp();
    await new Promise<void>((resolve, reject) => sftp.writeFile(file, data, { mode }, (err) => (err ? reject(err) : resolve())));
  }

  async symlink(target: string, linkPath: string): Promise<void> {
    const sftp = await this.sftp();
    await new Promise<void>((resolve, reject) => sftp.symlink(target, linkPath, (err) => (err ? reject(err) : resolve())));
  }

  async readRange(file: string, offset: number, length: number): Promise<Buffer> {
    const sftp = await this.sftp();
    const handle = await new Promise<Buffer>((resolve, reject) => sftp.open(file, 'r', (err, h) => (err ? reject(err) : resolve(h))));
    try {
      const out = Buffer.alloc(length);
      const PIECE = 256 * 1024;
      // SFTP servers cap one read (OpenSSH: 256 KiB). One read at a time waits a round trip per piece:
      // keep several in flight, each filling its own piece (a server with a smaller cap answers short).
      const readPiece = async (start: number): Promise<number> => {
        const end = Math.min(length, start + PIECE);
        let got = start;
        while (got < end) {
          const n = await new Promise<number>((resolve, reject) =>
            sftp.read(handle, out, got, end - got, offset + got, (err, bytes) => (err ? ((err as { code?: number }).code === 1 ? resolve(0) : reject(err)) : resolve(bytes))),
          );
          if (n === 0) break; // the end of the file
          got += n;
        }
        return got;
      };
      const starts = Array.from({ length: Math.ceil(length / PIECE) }, (_, i) => i * PIECE);
      const ends: number[] = [];
      const queue = [...starts];
      await Promise.all(
        Array.from({ length: Math.min(8, queue.length) }, async () => {
          for (let start = queue.shift(); start !== undefined; start = queue.shift()) ends[start / PIECE] = await readPiece(start);
        }),
      );
      // Only the whole pieces from the start count: after the first short piece the file ended.
      let got = 0;
      for (let i = 0; i < starts.length; i++) {
        got = ends[i]!;
        if (got < Math.min(length, starts[i]! + PIECE)) break;
      }
      return out.subarray(0, got);
    } catch (err) {
      if ((err as { code?: number }).code === 1) return Buffer.alloc(0); // EOF
      throw err;
    } finally {
      sftp.close(handle, () => {});
    }
  }

  async writeRange(file: string, offset: number, data: Buffer, options: { create?: boolean; mode?: number } = {}): Promise<void> {
    const sftp = await this.sftp();
    const flags = options.create && offset === 0 ? 'w' : 'r+';
    const handle = await new Promise<Buffer>((resolve, reject) => sftp.open(file, flags, { mode: options.mode ?? 0o600 }, (err, h) => (err ? reject(err) : resolve(h))));
    try {
      // One request at a time waits a round trip per 256 KiB; a few in flight keep the link busy.
      const piece = 256 * 1024;
      const starts: number[] = [];
      for (let at = 0; at < data.length; at += piece) starts.push(at);
      const writeFrom = async (): Promise<void> => {
        for (let at = starts.shift(); at !== undefined; at = starts.shift()) {
          const len = Math.min(piece, data.length - at);
          await new Promise<void>((resolve, reject) => sftp.write(handle, data, at, len, offset + at, (err) => (err ? reject(err) : resolve())));
        }
      };
      await Promise.all(Array.from({ length: Math.min(8, starts.length) }, writeFrom));
    } catch (err) {
      sftp.close(handle, () => {});
      throw err;
    }
    // A failed close can mean the data did not reach the disk: the caller must know.
    await new Promise<void>((resolve, reject) => sftp.close(handle, (err) => (err ? reject(err) : resolve())));
  }

  close(): void {
    this.ended = true;
    this.client.end();
  }
}
