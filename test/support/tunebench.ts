// Helpers that run Tunebench as a user would: the built `tunebench` command on a temp data directory.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const BIN = path.join(ROOT, 'bin', 'tunebench.js');
/** The `tunebench` command as installed: a launcher that starts from the CLI's startup snapshot. */
export const COMMAND = path.join(ROOT, 'bin', 'tunebench');

export function tempDir(prefix = 'tb-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json: () => any;
  errorJson: () => { error: { code: string; message: string } };
}

export function cli(args: string[], options: { dataDir?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): CliResult {
  const full = options.dataDir ? [...args, '--data-dir', options.dataDir] : args;
  const r = spawnSync(COMMAND, full, {
    encoding: 'utf8',
    env: { ...process.env, TUNEBENCH_HOME: '', ...options.env },
    timeout: options.timeoutMs ?? 60_000,
  });
  return {
    code: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    json: () => JSON.parse(r.stdout),
    errorJson: () => JSON.parse(r.stderr),
  };
}

export interface Served {
  url: string;
  origin: string;
  process: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<number | string | null>;
}

/**
 * Starts `tunebench serve --port 0` and waits for the line with its URL: the first line it prints, parsed
 * as the user's browser would, so tests go where the printed URL says (not to an address they assume).
 */
export async function serve(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const child = spawn(COMMAND, ['serve', '--port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TUNEBENCH_HOME: '', ...env },
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve printed no URL in 20 s; stderr: ${stderr}`)), 20_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const newline = out.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      const line = out.slice(0, newline).trim();
      try {
        resolve(new URL(line).href);
      } catch {
        reject(new Error(`serve printed "${line}", not a URL; stderr: ${stderr}`));
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    origin: new URL(url).origin,
    process: child,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code, sig) => resolve(code ?? sig));
        child.kill(signal);
      }),
  };
}
