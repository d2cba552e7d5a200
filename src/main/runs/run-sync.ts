// Brings one run up to date: reads what is new in its remote files (resumable by byte offset and
// sequence number) and works out its status from the supervisor's files, the heartbeat and the pid.
import type { Host } from '../../shared/domain/host';
import { FINAL_STATUSES, type Run, type RunStatus } from '../../shared/domain/run';
import { EngineError } from '../errors';
import { jsonOutput, shQuote, type HostAccess } from '../hosts/host-access';
import type { HostService } from '../hosts/host-service';
import type { ClusterMonitor } from '../slurm/cluster-monitor';
import { decideFromState, decideGone, type QueueLine } from '../slurm/queue';
import { backendFor, jobName } from './backends';
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

/** The kind of each stream file a run directory has. */
export const STREAM_KINDS: ReadonlyMap<string, StreamKind> = new Map(STREAMS);

export const CHUNK_BYTES = 4 * 1024 * 1024;
/** A heartbeat older than this, with the process gone and no exit code, means the run is LOST. */
export const HEARTBEAT_STALE_S = 60;
/** How long a run may take to write its first heartbeat before we call it lost. */
const START_GRACE_MS = 120_000;

export interface RemoteProbe {
  files: Record<string, { id: string; size: number }>;
  status: { state?: string; exitCode?: number; attempt?: number; node?: string; error?: string } | null;
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
  /** Reads each SLURM cluster's queue once per tick for all of its runs. */
  slurm: ClusterMonitor;
}

async function ingestStream(deps: SyncDeps, access: HostAccess, run: Run, file: string, kind: StreamKind, remote: { id: string; size: number } | undefined): Promise<number> {
  if (!remote) return 0;
  let cursor = deps.ingestor.cursor(run.id, file);
  const path = `${run.remoteDir}/${file}`;
  if (cursor && cursor.fileId === remote.id && remote.size < cursor.offset) {
    // The size was read before the host's channel pushed more: the file shrank only if it now ends
    // before the cursor. Otherwise the channel is ahead of this pass, which has nothing to add.
    if ((await access.readRange(path, cursor.offset - 1, 1)).length === 1) return 0;
  }
  if (!cursor || cursor.fileId !== remote.id || remote.size < cursor.offset) cursor = deps.ingestor.startEpoch(run.id, file, remote.id, cursor);
  const read = (offset: number): Promise<Buffer> => access.readRange(path, offset, Math.min(CHUNK_BYTES, remote.size - offset));
  let added = 0;
  // The next chunk is read while this one is parsed and stored: over SSH the link and the database
  // work at the same time instead of taking turns.
  let pending: Promise<Buffer> | undefined = cursor.offset < remote.size ? read(cursor.offset) : undefined;
  while (pending && cursor.offset < remote.size) {
    const chunk: Buffer = await pending;
    if (chunk.length === 0) break;
    const end = cursor.offset + chunk.length;
    const ahead = end < remote.size ? read(end) : undefined;
    ahead?.catch(() => {}); // awaited below, or dropped when the cursor went elsewhere
    const result = deps.ingestor.store(run.id, file, kind, cursor, chunk, chunk.length === CHUNK_BYTES);
    added += result.added;
    if (result.stale) {
      cursor = result.next; // someone else moved on; continue from where they got to
      pending = cursor.offset < remote.size ? read(cursor.offset) : undefined;
      continue;
    }
    if (result.next.offset === cursor.offset) break; // only a partial line so far: wait for its newline
    const next = result.next;
    cursor = next;
    if (!ahead) break;
    // A partial last line stays unread: the next chunk starts with it, then what was read ahead.
    const leftover = chunk.subarray(next.offset - (end - chunk.length));
    pending = leftover.length === 0 ? ahead : ahead.then((b) => Buffer.concat([leftover, b]).subarray(0, CHUNK_BYTES));
  }
  return added;
}

interface Decision {
  status: RunStatus;
  exitCode?: number;
  why?: string;
}

/** The supervisor's exit code is what the run itself did: it decides wherever it exists. */
function fromExitCode(probe: RemoteProbe): Decision {
  const state = probe.status?.state as RunStatus | undefined;
  // The supervisor says why where it knows (a command that could not start, a job cancelled outside Tunebench).
  const why = typeof probe.status?.error === 'string' ? { why: probe.status.error } : {};
  if (state && FINAL_STATUSES.includes(state)) return { status: state, exitCode: probe.exitCode!, ...why };
  return { status: probe.exitCode === 0 ? 'SUCCEEDED' : 'FAILED', exitCode: probe.exitCode!, ...why };
}

function decideStatus(run: Run, probe: RemoteProbe, staleSeconds: number): Decision {
  if (probe.exitCode !== null) return fromExitCode(probe);
  // A sweep's trial waiting for a free slot: its scheduler has not started it, so nothing can be lost yet.
  if (run.status === 'PENDING' && probe.heartbeatAge === null && !probe.alive) return { status: 'PENDING' };
  if (probe.alive) return { status: run.status === 'CANCELLING' || probe.status?.state === 'CANCELLING' ? 'CANCELLING' : 'RUNNING' };
  const stale = probe.heartbeatAge === null ? Date.now() - run.createdAt > START_GRACE_MS : probe.heartbeatAge > staleSeconds;
  // The process is gone without an exit code: lost only once the heartbeat is stale too (the
  // supervisor may be between the child's exit and writing the code).
  return stale
    ? { status: 'LOST', why: `No heartbeat for over ${staleSeconds} s, the run's process is gone and it left no exit code (the host rebooted, or the supervisor was killed).` }
    : { status: run.status };
}

/**
 * A run on a cluster: the supervisor's exit code first; then SLURM's state of the job (pending, requeued,
 * preempted, or ended by SLURM); for a running job the run's own files and heartbeat. A job gone from the
 * queue is asked of accounting where it works, and is otherwise LOST with the reason, never guessed.
 */
async function decideJob(deps: SyncDeps, access: HostAccess, host: Host, run: Run, job: QueueLine | undefined, probe: RemoteProbe | undefined): Promise<Decision> {
  if (probe && probe.exitCode !== null) return fromExitCode(probe);
  const time = run.job?.resources.time;
  if (job) {
    const d = decideFromState(run, job.state, job.reason, time);
    if (d) return d;
    if (probe?.status?.state === 'PREEMPTING') return { status: 'PREEMPTED' };
    if (probe?.status?.state === 'REQUEUING') return { status: 'REQUEUED' };
    if (job.state === 'COMPLETED') return { status: run.status }; // the exit code is on its way
    return { status: run.status === 'CANCELLING' || probe?.status?.state === 'CANCELLING' ? 'CANCELLING' : 'RUNNING' };
  }
  // Not in this read: only gone once two reads made after the submit miss it.
  if (!deps.slurm.gone(host.id, run.job!.jobId)) return { status: run.status };
  const finished = await deps.slurm.finished(host, access, run.job!.jobId);
  if (finished) {
    const d = decideFromState(run, finished.state, '', time);
    // Accounting still sees it queued or running (squeue missed it): keep following.
    if (d && (d.status === 'PENDING' || d.status === 'REQUEUED' || d.status === 'PREEMPTED')) return { status: run.status };
    if (!d && finished.state !== 'COMPLETED') return { status: run.status };
    if (d) return d;
    if (finished.state === 'COMPLETED')
      return { status: 'LOST', why: `SLURM says job ${run.job!.jobId} completed (exit ${finished.exitCode}), but the run left no exit code: see .tb/slurm-*.out in the run directory.` };
  }
  return decideGone(run, await deps.slurm.accounting(host, access));
}

/** What squeue says of this run's job; undefined once the job left the queue (or its id now names someone else's job). */
async function queuedJob(deps: SyncDeps, access: HostAccess, host: Host, run: Run): Promise<QueueLine | undefined> {
  const jobs = await deps.slurm.queue(host, access);
  const jobId = run.job!.jobId;
  // Pending elements of an array that are cancelled fold into the array's own record (id without _N).
  const line = jobs.get(jobId) ?? (jobId.includes('_') ? jobs.get(jobId.replace(/_\d+$/, '')) : undefined);
  if (!line) return undefined;
  // Job ids are reused: a line is ours only under our job's name (a job array's elements share the array's).
  const ours = run.job!.jobId.includes('_') ? line.name.startsWith('tb-array-') : line.name === jobName(run.id);
  return ours ? line : undefined;
}

/** One pass over a run. A link that drops marks it disconnected; it never fails the run. */
export async function syncRun(deps: SyncDeps, runId: string): Promise<Run> {
  const run = deps.runs.get(runId);
  // A finished run has nothing left to read: its host is not contacted (it may be gone, or seeded).
  if (FINAL_STATUSES.includes(run.status)) return run;
  const host = deps.hosts.get(run.hostId);
  let access: HostAccess;
  try {
    access = await deps.hosts.access(host);
    const onCluster = Boolean(host.slurm && run.job);
    const job = onCluster ? await queuedJob(deps, access, host, run) : undefined;
    const jobChanged = Boolean(job && run.job && (job.state !== run.job.state || job.reason !== (run.job.reason ?? '') || (job.nodes && job.nodes !== run.job.nodes) || !run.job.submittedAt));
    if (job && jobChanged) {
      deps.runs.updateJob(run.id, { state: job.state, reason: job.reason, submittedAt: job.submittedAt, ...(job.nodes ? { nodes: job.nodes } : {}) });
    }
    // A job waiting for its first start has written nothing yet: no need to read its files.
    const waiting = onCluster && job?.state === 'PENDING' && run.status === 'PENDING';
    let probe: RemoteProbe | undefined;
    let logLines = 0;
    let casesAdded = 0;
    if (!waiting) {
      const r = await access.exec(`${host.python} ${shQuote(`${run.remoteDir}/.tb/probe_run.py`)} ${shQuote(run.remoteDir)}`, { timeoutMs: 30_000 });
      if (r.code !== 0) throw new EngineError('REMOTE_COMMAND_FAILED', `Reading the run's state failed (exit ${r.code}): ${r.stderr.trim().slice(-300)}`);
      probe = jsonOutput(r.stdout, "Reading the run's state") as RemoteProbe;
      for (const [file, kind] of STREAMS) {
        const added = await ingestStream(deps, access, run, file, kind, probe.files[file]);
        if (kind === 'log') logLines += added;
        if (kind === 'cases') casesAdded += added;
      }
      if (onCluster && typeof probe.status?.attempt === 'number' && probe.status.attempt !== run.job!.attempt) deps.runs.updateJob(run.id, { attempt: probe.status.attempt });
    }
    const stale = deps.heartbeatStaleSeconds ?? HEARTBEAT_STALE_S;
    const decided = onCluster ? await decideJob(deps, access, host, run, job, probe) : decideStatus(run, probe!, stale);
    // From the status this pass read: a cancel or another pass that changed it meanwhile wins, and the next pass decides again.
    const changed =
      (decided.status !== run.status || run.disconnected) &&
      deps.runs.setStatusIf(run.id, [run.status], decided.status, { exitCode: decided.exitCode ?? null, ...(decided.why ? { lastError: decided.why } : {}) });
    if (run.disconnected) deps.runs.setDisconnected(run.id, false);
    if (logLines) deps.onLogAppended(run.id, logLines);
    if (deps.afterSync && run.kind === 'test' && (changed || casesAdded)) deps.afterSync(deps.runs.get(run.id), casesAdded);
    if (changed || run.disconnected || logLines || casesAdded || jobChanged) deps.onChanged(run.id);
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
  // Still being launched (its files on their way up, maybe no directory yet): the launch sees this and starts nothing.
  if (run.status === 'QUEUED' && deps.runs.setStatusIf(run.id, ['QUEUED'], 'CANCELLED', { lastError: 'Cancelled while it was being launched; nothing of it ran.' })) {
    deps.onChanged(run.id);
    return deps.runs.get(run.id);
  }
  const host = deps.hosts.get(run.hostId);
  const access = await deps.hosts.access(host, { now: true });
  const { stopped } = await backendFor(host).requestCancel(access, host, run);
  const done =
    stopped &&
    deps.runs.setStatusIf(run.id, [run.status], 'CANCELLED', {
      lastError: `Cancelled while job ${run.job?.jobId ?? ''} waited in the queue; nothing of it ran${run.status === 'REQUEUED' ? ' since its last attempt' : ''}.`,
    });
  if (!done) {
    // Still going (or its job started while the cancel went out): cancelling, until its supervisor or SLURM says
    // how it ended. One that ended meanwhile stays as it ended.
    const now = deps.runs.get(run.id);
    if (!FINAL_STATUSES.includes(now.status)) deps.runs.setStatusIf(run.id, [now.status], 'CANCELLING');
  }
  if (host.slurm) deps.slurm.nudge(host.id);
  deps.onChanged(run.id);
  return deps.runs.get(run.id);
}

/**
 * Bytes a host's channel pushed (whole lines of `file` from `offset`): stored only where the run's cursor
 * is, in the same transaction that moves it, so a frame repeated or out of order is never stored twice.
 * 'resync' when the cursor is elsewhere (a frame was missed, a new file): the run must be read as usual.
 */
export function ingestPushed(deps: SyncDeps, runId: string, file: string, fileId: string, offset: number, chunk: Buffer): 'stored' | 'resync' | 'old' {
  const kind = STREAM_KINDS.get(file);
  if (!kind) return 'old';
  let cursor = deps.ingestor.cursor(runId, file);
  if (!cursor && offset === 0) cursor = deps.ingestor.startEpoch(runId, file, fileId, undefined);
  if (!cursor || cursor.fileId !== fileId) return 'resync';
  if (offset + chunk.length <= cursor.offset) return 'old'; // read already
  if (offset !== cursor.offset) return 'resync';
  const result = deps.ingestor.store(runId, file, kind, cursor, chunk, false);
  if (result.stale || result.next.offset !== offset + chunk.length) return 'resync';
  if (kind === 'log' && result.added) deps.onLogAppended(runId, result.added);
  if (result.added) deps.onChanged(runId);
  return 'stored';
}

/**
 * A workstation run's state as its host's channel pushed it. Only a change that is not an ending is
 * applied here (STARTING to RUNNING, CANCELLING): an ending is decided by a full read, which takes
 * the last lines the run wrote after its exit code, so nothing written at the end is left unread.
 */
export function applyPushedState(deps: SyncDeps, runId: string, probe: RemoteProbe): 'applied' | 'resync' {
  const run = deps.runs.get(runId);
  if (FINAL_STATUSES.includes(run.status)) return 'applied';
  const decided = decideStatus(run, probe, deps.heartbeatStaleSeconds ?? HEARTBEAT_STALE_S);
  if (FINAL_STATUSES.includes(decided.status) || probe.exitCode !== null) return 'resync';
  if (decided.status !== run.status || run.disconnected) {
    deps.runs.setStatus(run.id, decided.status, {});
    if (run.disconnected) deps.runs.setDisconnected(run.id, false);
    deps.onChanged(run.id);
  }
  return 'applied';
}
