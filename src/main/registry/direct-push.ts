// Direct push: when the GPU host that holds the weights can reach the registry, its blobs go from there straight to
// the registry instead of through this machine. The stdlib-only resources/remote/push_blobs.py does the HTTP; this
// side uploads it, hands it the request on stdin (the only way credentials travel), and follows its progress file.
import fs from 'node:fs';
import path from 'node:path';
import type { ErrorCode } from '../../shared/errors';
import { EngineError } from '../errors';
import { type HostAccess, shQuote } from '../hosts/host-access';
import { PACKAGE_ROOT } from '../version';

export interface DirectPushFile {
  path: string;
  /** Hex sha256 of the file, as the engine checked it (no `sha256:` prefix). */
  sha256: string;
  size: number;
}

export interface DirectPushSpec {
  /** A directory of the run on the GPU host; the pusher, its resume state and progress go in `.tb-push/` under it. */
  workDir: string;
  baseUrl: string;
  repository: string;
  caPem: string | null;
  insecureHttp: boolean;
  credentials: { username: string; password: string } | null;
  chunkBytes: number;
  files: DirectPushFile[];
}

export interface DirectPushResult {
  ok: true;
  files: { sha256: string; skipped: boolean; resumedAt: number; sent: number }[];
}

const SCRIPT = path.join(PACKAGE_ROOT, 'resources', 'remote', 'push_blobs.py');
// Weights run to hundreds of GiB over whatever link the GPU host has: the push may take hours.
const PUSH_TIMEOUT_MS = 24 * 60 * 60 * 1000;
const PROBE_TIMEOUT_MS = 60_000; // the probe's own connect timeout is 15 s; this only guards a stuck SSH channel
const POLL_MS = 500;
const SCRIPT_CODES = new Set<ErrorCode>(['REGISTRY_AUTH_FAILED', 'REGISTRY_UNREACHABLE', 'REGISTRY_TLS_UNTRUSTED', 'REGISTRY_REFUSED', 'VERIFY_FAILED', 'VALIDATION_FAILED', 'REMOTE_COMMAND_FAILED']);

function pushDir(workDir: string): string {
  return path.posix.join(workDir, '.tb-push');
}

/** Puts the pusher on the host in a directory only its user can enter (resume state names upload locations). */
async function installScript(access: HostAccess, workDir: string): Promise<string> {
  const dir = pushDir(workDir);
  const script = path.posix.join(dir, 'push_blobs.py');
  const made = await access.exec(`mkdir -p ${shQuote(dir)} && chmod 700 ${shQuote(dir)}`, { timeoutMs: PROBE_TIMEOUT_MS });
  if (made.code !== 0) throw new EngineError('REMOTE_COMMAND_FAILED', `Cannot create ${dir} on the GPU host: ${made.stderr.trim().slice(0, 300) || `exit ${made.code}`}.`);
  await access.writeFile(script, fs.readFileSync(SCRIPT), 0o700);
  return script;
}

/** The JSON the script printed last, or an error that quotes what it printed instead (never stdin: it holds secrets). */
function lastJson(stdout: string, stderr: string, code: number | null, what: string): Record<string, unknown> {
  const last = stdout.trimEnd().split('\n').pop() ?? '';
  try {
    const doc = JSON.parse(last) as unknown;
    if (doc && typeof doc === 'object') return doc as Record<string, unknown>;
  } catch {
    // reported below
  }
  const said = (stderr.trim() || stdout.trim()).slice(-300) || `exit ${code}`;
  throw new EngineError(
    'REMOTE_COMMAND_FAILED',
    `${what} on the GPU host did not print its result (${said}). Check that the host's Python 3.8+ works; if a shell start-up file (~/.bashrc) prints text, make it quiet for non-interactive shells.`,
  );
}

/** Whether the GPU host can reach the registry's /v2/ (200, or 401 asking for a login, both count). */
export async function canReachRegistry(access: HostAccess, python: string, workDir: string, baseUrl: string, caPem: string | null, insecureHttp: boolean): Promise<boolean> {
  const script = await installScript(access, workDir);
  const stdin = JSON.stringify({ probe: true, baseUrl, repository: 'probe', caPem, insecureHttp, credentials: null, files: [] });
  // `python` is the host's configured interpreter command, used as the run launcher uses it (it may carry arguments).
  const res = await access.exec(`${python} ${shQuote(script)}`, { stdin, timeoutMs: PROBE_TIMEOUT_MS });
  const doc = lastJson(res.stdout, res.stderr, res.code, 'The registry probe');
  return doc.reachable === true;
}

/**
 * Pushes the files as blobs from the GPU host. Resumes an upload a previous call left (its state stays in
 * `.tb-push/state/`), skips blobs the registry has, and reports the bytes the registry holds of all files together.
 */
export async function directPush(access: HostAccess, python: string, spec: DirectPushSpec, onProgress?: (bytesOfAllFiles: number) => void): Promise<DirectPushResult> {
  const script = await installScript(access, spec.workDir);
  const dir = pushDir(spec.workDir);
  const stateDir = path.posix.join(dir, 'state');
  const progressFile = path.posix.join(dir, 'progress.jsonl');
  // A progress file from an earlier push would count its offsets as this one's.
  await access.exec(`rm -f ${shQuote(progressFile)}`, { timeoutMs: PROBE_TIMEOUT_MS });
  const stdin = JSON.stringify({
    baseUrl: spec.baseUrl,
    repository: spec.repository,
    caPem: spec.caPem,
    insecureHttp: spec.insecureHttp,
    credentials: spec.credentials,
    chunkBytes: spec.chunkBytes,
    stateDir,
    progressFile,
    files: spec.files.map((f) => ({ path: f.path, sha256: f.sha256.replace(/^sha256:/, ''), size: f.size })),
    probe: false,
  });

  let done = false;
  let progressError: { error: unknown } | undefined;
  // Held until the push ends: a throwing callback must not leave a rejected promise nobody awaits meanwhile.
  const poller = onProgress ? followProgress(access, progressFile, onProgress, () => done).catch((error: unknown) => void (progressError = { error })) : null;
  let res;
  try {
    res = await access.exec(`${python} ${shQuote(script)}`, { stdin, timeoutMs: PUSH_TIMEOUT_MS });
  } finally {
    done = true;
    await poller;
  }
  if (progressError) throw progressError.error;
  if (access.closed)
    // The pusher may go on alone on the host; the next push waits for it (a lock) and then resumes or skips.
    throw new EngineError('HOST_UNREACHABLE', 'Lost the connection to the GPU host during the push; push again to resume where it stopped.');
  const doc = lastJson(res.stdout, res.stderr, res.code, 'The blob pusher');
  if (doc.ok === true && res.code === 0 && Array.isArray(doc.files)) return doc as unknown as DirectPushResult;
  const code = typeof doc.code === 'string' && SCRIPT_CODES.has(doc.code as ErrorCode) ? (doc.code as ErrorCode) : 'REMOTE_COMMAND_FAILED';
  const message = typeof doc.error === 'string' && doc.error ? doc.error : `The blob pusher on the GPU host failed (exit ${res.code}).`;
  throw new EngineError(code, message);
}

/**
 * Reads new lines of the progress file every POLL_MS until `finished()`, then once more, and reports the sum of the
 * latest offset per file. Reading only what was appended keeps each poll small however long the push runs.
 */
async function followProgress(access: HostAccess, file: string, onProgress: (n: number) => void, finished: () => boolean): Promise<void> {
  const latest = new Map<string, number>();
  let readAt = 0;
  let partial = '';
  let reported = -1;
  const poll = async (): Promise<void> => {
    for (;;) {
      let buf: Buffer;
      try {
        buf = await access.readRange(file, readAt, 256 * 1024);
      } catch {
        return; // not written yet (or the link hiccupped): the next poll tries again
      }
      if (buf.length === 0) break;
      readAt += buf.length;
      const lines = (partial + buf.toString('utf8')).split('\n');
      partial = lines.pop() ?? ''; // a line the script is still writing
      for (const line of lines) {
        try {
          const p = JSON.parse(line) as { sha256?: unknown; offset?: unknown };
          if (typeof p.sha256 === 'string' && typeof p.offset === 'number') latest.set(p.sha256, p.offset);
        } catch {
          // a torn line cannot happen with one write per line; skip anything else
        }
      }
    }
    let total = 0;
    for (const n of latest.values()) total += n;
    if (total !== reported) {
      reported = total;
      onProgress(total);
    }
  };
  while (!finished()) {
    await poll();
    if (!finished()) await new Promise((r) => setTimeout(r, POLL_MS));
  }
  await poll();
}
