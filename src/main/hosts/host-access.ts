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
  writeFile(file: string, data: string | Buffer, mode?: number): Promise<void>;
  /** Up to `length` bytes from `offset`; fewer at the end of the file. */
  readRange(file: string, offset: number, length: number): Promise<Buffer>;
  /**
   * Writes `data` at `offset` of an existing file, so a big file can be copied chunk by chunk
   * without holding it in memory. `create` at offset 0 creates or truncates the file first (with
   * `mode`); later chunks go into the file as it is.
   */
  writeRange(file: string, offset: number, data: Buffer, options?: { create?: boolean; mode?: number }): Promise<void>;
  close(): void;
  readonly closed: boolean;
}

/** Quotes a string for a POSIX shell. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
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

  async writeFile(file: string, data: string | Buffer, mode = 0o644): Promise<void> {
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    await fs.promises.writeFile(file, data, { mode });
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
    const fh = await fs.promises.open(file, options.create && offset === 0 ? 'w' : 'r+', options.mode ?? 0o644);
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

export class SshAccess implements HostAccess {
  closed = false;
  private sftpSession: Promise<SFTPWrapper> | undefined;

  constructor(private readonly client: Client) {
    client.on('close', () => (this.closed = true));
    client.on('error', () => (this.closed = true));
  }

  exec(command: string, options: { stdin?: string | Buffer; timeoutMs?: number } = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (err, stream) => {
        if (err) return reject(new EngineError('HOST_UNREACHABLE', `Lost the SSH connection: ${err.message}.`));
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
      });
    });
  }

  private sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= new Promise((resolve, reject) =>
      this.client.sftp((err, sftp) => {
        if (err) {
          this.sftpSession = undefined;
          return reject(new EngineError('HOST_UNREACHABLE', `Cannot open SFTP: ${err.message}.`));
        }
        sftp.on('close', () => (this.sftpSession = undefined));
        resolve(sftp);
      }),
    );
    return this.sftpSession;
  }

  async writeFile(file: string, data: string | Buffer, mode = 0o644): Promise<void> {
    const sftp = await this.sftp();
    await new Promise<void>((resolve, reject) => sftp.writeFile(file, data, { mode }, (err) => (err ? reject(err) : resolve())));
  }

  async readRange(file: string, offset: number, length: number): Promise<Buffer> {
    const sftp = await this.sftp();
    const handle = await new Promise<Buffer>((resolve, reject) => sftp.open(file, 'r', (err, h) => (err ? reject(err) : resolve(h))));
    try {
      const out = Buffer.alloc(length);
      let got = 0;
      // SFTP servers cap one read (OpenSSH: 256 KiB); keep reading until we have it all or hit the end.
      while (got < length) {
        const n = await new Promise<number>((resolve, reject) =>
          sftp.read(handle, out, got, Math.min(length - got, 256 * 1024), offset + got, (err, bytes) => (err ? reject(err) : resolve(bytes))),
        );
        if (n === 0) break;
        got += n;
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
    const handle = await new Promise<Buffer>((resolve, reject) =>
      sftp.open(file, flags, { mode: options.mode ?? 0o644 }, (err, h) => (err ? reject(err) : resolve(h))),
    );
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
    this.closed = true;
    this.client.end();
  }
}
