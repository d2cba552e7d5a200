// Brings one run up to date: reads what is new in its remote files (resumable by byte offset and
// sequence number) and works out its status from the supervisor's files, the heartbeat and the pid.
import { FINAL_STATUSES, type Run, type RunStatus } from '../../shared/domain/run';
import { EngineError } from '../errors';
import { jsonOutput, shQuote, type HostAccess } from '../hosts/host-access';
import type { HostService } from '../hosts/host-service';
import { backendFor } from './backends';
import { Ingestor, type StreamKind } from './ingest';
import type { RunStore } from './run-store';

const STREAMS: [string, StreamKind][] = [
  ['logs/output.log', 'log'],
  ['logs/output.clock', 'clock'],
  ['metrics.jsonl', 'metrics'],
  ['sys.jsonl', 'sys'],
  ['events.jsonl', 'events'],
  ['cases.jsonl', 'cases'],
];

export const CHUNK_BYTES = 4 * 1024 * 1024;
/** A heartbeat older than this, with the process gone and no exit code, means the run is LOST. */
export const HEARTBEAT_STALE_S = 60;
/** How long a run may take to write its first heartbeat before we call it lost. */
const START_GRACE_MS = 120_000;

interface RemoteProbe {
  files: Record<string, { id: string; size: number }>;
  status: { state?: string; exitCode?: number } | null;
  exitCode: number | null;
  heartbeatAge: number | null;
  alive: boolean;
}

export interface SyncDeps {
  hosts: HostService;
  runs: RunStore;
  ingestor: Ingestor;
  onChanged(runId: string): void;
  onLogAppended(runId: string, lines: number): void;
  /** Called after each pass that reached the host (test runs keep their verdict and report up to date). */
  afterSync?(run: Run, casesAdded: number): void;
  /** Seconds without a heartbeat (process gone, no exit code) before a run is LOST; default 60. */
  heartbeatStaleSeconds?: number;
}

async function ingestStream(deps: SyncDeps, access: HostAccess, run: Run, file: string, kind: StreamKind, remote: { id: string; size: number } | undefined): Promise<number> {
  if (!remote) return 0;
  let cursor = deps.ingestor.cursor(run.id, file);
  if (!cursor || cursor.fileId !== remote.id || remote.size < cursor.offset) cursor = deps.ingestor.startEpoch(run.id, file, remote.id, cursor);
  let added = 0;
  while (cursor.offset < remote.size) {
    const want = Math.min(CHUNK_BYTES, remote.size - cursor.offset);
    const chunk = await access.readRange(`${run.remoteDir}/${file}`, cursor.offset, want);
    if (chunk.length === 0) break;
    const result = deps.ingestor.store(run.id, file, kind, cursor, chunk, chunk.length === CHUNK_BYTES);
    added += result.added;
    if (result.stale) {
      cursor = result.next; // someone else moved on; continue from where they got to
      continue;
    }
    if (result.next.offset === cursor.offset) break; // only a partial line so far: wait for its newline
    cursor = result.next;
  }
  return added;
}

function decideStatus(run: Run, probe: RemoteProbe, staleSeconds: number): { status: RunStatus; exitCode?: number } {
  if (probe.exitCode !== null) {
    const state = probe.status?.state as RunStatus | undefined;
    if (state && FINAL_STATUSES.includes(state)) return { status: state, exitCode: probe.exitCode };
    return { status: probe.exitCode === 0 ? 'SUCCEEDED' : 'FAILED', exitCode: probe.exitCode };
  }
  if (probe.alive) return { status: run.status === 'CANCELLING' || probe.status?.state === 'CANCELLING' ? 'CANCELLING' : 'RUNNING' };
  const stale = probe.heartbeatAge === null ? Date.now() - run.createdAt > START_GRACE_MS : probe.heartbeatAge > staleSeconds;
  // The process is gone without an exit code: lost only once the heartbeat is stale too (the
  // supervisor may be between the child's exit and writing the code).
  return { status: stale ? 'LOST' : run.status };
}

/** One pass over a run. A link that drops marks it disconnected; it never fails the run. */
export async function syncRun(deps: SyncDeps, runId: string): Promise<Run> {
  const run = deps.runs.get(runId);
  const host = deps.hosts.store.get(run.hostId);
  let access: HostAccess;
  try {
    access = await deps.hosts.access(host);
    const r = await access.exec(`${host.python} ${shQuote(`${run.remoteDir}/.tb/probe_run.py`)} ${shQuote(run.remoteDir)}`, { timeoutMs: 30_000 });
    if (r.code !== 0) throw new EngineError('REMOTE_COMMAND_FAILED', `Reading the run's state failed (exit ${r.code}): ${r.stderr.trim().slice(-300)}`);
    const probe = jsonOutput(r.stdout, "Reading the run's state") as RemoteProbe;
    let logLines = 0;
    let casesAdded = 0;
    for (const [file, kind] of STREAMS) {
      const added = await ingestStream(deps, access, run, file, kind, probe.files[file]);
      if (kind === 'log') logLines += added;
      if (kind === 'cases') casesAdded += added;
    }
    const decided = decideStatus(run, probe, deps.heartbeatStaleSeconds ?? HEARTBEAT_STALE_S);
    const changed = decided.status !== run.status || run.disconnected;
    const lostWhy = decided.status === 'LOST' ? { lastError: `No heartbeat for over ${deps.heartbeatStaleSeconds ?? HEARTBEAT_STALE_S} s, the run's process is gone and it left no exit code (the host rebooted, or the supervisor was killed).` } : {};
    if (changed) deps.runs.setStatus(run.id, decided.status, { exitCode: decided.exitCode ?? null, ...lostWhy });
    if (run.disconnected) deps.runs.setDisconnected(run.id, false);
    if (logLines) deps.onLogAppended(run.id, logLines);
    if (deps.afterSync && run.kind === 'test' && (changed || casesAdded)) deps.afterSync(deps.runs.get(run.id), casesAdded);
    if (changed || logLines || casesAdded) deps.onChanged(run.id);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // Only a broken link is worth reconnecting for; a failed command leaves the connection usable.
    if (!(err instanceof EngineError) || err.code === 'HOST_UNREACHABLE') deps.hosts.drop(host.id);
    if (!run.disconnected) {
      deps.runs.setDisconnected(run.id, true, message);
      deps.onChanged(run.id);
    }
    if (err instanceof EngineError && (err.code === 'HOST_KEY_MISMATCH' || err.code === 'HOST_KEY_UNKNOWN')) throw err;
  }
  return deps.runs.get(runId);
}

export async function cancelRun(deps: SyncDeps, runId: string): Promise<Run> {
  const run = deps.runs.get(runId);
  if (FINAL_STATUSES.includes(run.status)) return run;
  const host = deps.hosts.store.get(run.hostId);
  const access = await deps.hosts.access(host, { now: true });
  await backendFor(host).requestCancel(access, run.remoteDir);
  deps.runs.setStatus(run.id, 'CANCELLING');
  deps.onChanged(run.id);
  return deps.runs.get(run.id);
}
