// One squeue per cluster per tick, whatever the number of runs: every run of a cluster reads the same
// answer. While nothing changes the interval doubles from 2 s up to 60 s; a submit, a cancel or any
// change in the queue brings it back to 2 s. For a few seconds after a submit or a cancel it is read
// every 250 ms: a job often starts (or leaves) within a second, and the user is watching. sacct is asked only for jobs that have left the queue,
// and only on clusters where accounting answers.
import type { Host } from '../../shared/domain/host';
import type { HostAccess } from '../hosts/host-access';
import { clusterSettings, slurmCommand } from './cluster';
import { parseSacct, parseSqueue, squeueCommand, type QueueLine } from './queue';

const FAST_MS = 250;
const FAST_FOR_MS = 5000;

export interface MonitorOptions {
  minIntervalMs?: number;
  maxIntervalMs?: number;
}

interface ClusterState {
  at: number;
  /** When the last read still being answered (or the last one) started. */
  readStartedAt: number;
  /** The last submit or cancel: a read that started before it cannot have seen that job. */
  nudgedAt: number;
  /** Jobs of ours missing from reads made after they were submitted, and how many times. */
  missing: Map<string, number>;
  /** Until then, the queue is read every FAST_MS (after a submit or a cancel). */
  fastUntil: number;
  intervalMs: number;
  jobs: Map<string, QueueLine>;
  signature: string;
  inflight: Promise<Map<string, QueueLine>> | undefined;
  accounting: Promise<boolean> | undefined;
}

export class ClusterMonitor {
  /** squeue calls made, per host id (the bench and the tests count them). */
  readonly calls = new Map<string, number>();
  private readonly clusters = new Map<string, ClusterState>();
  private readonly minMs: number;
  private readonly maxMs: number;

  constructor(options: MonitorOptions = {}) {
    this.minMs = options.minIntervalMs ?? 2000;
    this.maxMs = options.maxIntervalMs ?? 60_000;
  }

  private state(hostId: string): ClusterState {
    let s = this.clusters.get(hostId);
    if (!s) {
      s = { at: 0, readStartedAt: 0, nudgedAt: 0, missing: new Map(), fastUntil: 0, intervalMs: this.minMs, jobs: new Map(), signature: '', inflight: undefined, accounting: undefined };
      this.clusters.set(hostId, s);
    }
    return s;
  }

  /** Something happened (a submit, a cancel): the next read asks squeue again, and soon after. */
  nudge(hostId: string): void {
    const s = this.state(hostId);
    s.at = 0;
    s.intervalMs = this.minMs;
    s.nudgedAt = Date.now();
    s.fastUntil = Date.now() + FAST_FOR_MS;
  }

  /** The cluster's queue, asked again only when the current interval has passed; concurrent callers share one squeue. */
  queue(host: Host, access: HostAccess): Promise<Map<string, QueueLine>> {
    const s = this.state(host.id);
    if (s.inflight) return s.inflight;
    const wait = Date.now() < s.fastUntil ? Math.min(FAST_MS, s.intervalMs) : s.intervalMs;
    if (Date.now() - s.at < wait) return Promise.resolve(s.jobs);
    const startedAt = Date.now();
    s.inflight = (async () => {
      try {
        this.calls.set(host.id, (this.calls.get(host.id) ?? 0) + 1);
        const r = await access.exec(slurmCommand(clusterSettings(host), squeueCommand()), { timeoutMs: 30_000 });
        if (r.code !== 0) {
          // A controller that does not answer is not asked again at every sync: back off as if unchanged.
          s.at = Date.now();
          s.intervalMs = Math.min(this.maxMs, s.intervalMs * 2);
          throw new Error(`squeue failed on ${host.name} (exit ${r.code}): ${r.stderr.trim().slice(-300) || 'no output'}`);
        }
        const jobs = parseSqueue(r.stdout);
        // Only our jobs count for the backoff: other users' jobs of the same account change all the time.
        const signature = [...jobs.values()]
          .filter((j) => j.name.startsWith('tb-'))
          .map((j) => `${j.jobId}:${j.state}:${j.reason}`)
          .sort()
          .join(',');
        // Back off only outside the fast window after a submit: reads 250 ms apart must not double the
        // interval to a minute before the job has even had time to start.
        const same = signature === s.signature && s.at !== 0;
        s.intervalMs = !same ? this.minMs : Date.now() < s.fastUntil ? s.intervalMs : Math.min(this.maxMs, s.intervalMs * 2);
        s.signature = signature;
        s.jobs = jobs;
        // A job seen again (squeue missed it once) starts its count of misses over.
        for (const key of s.missing.keys()) if (jobs.has(key.slice(0, key.indexOf('@')))) s.missing.delete(key);
        s.readStartedAt = startedAt;
        // A read that started before the last submit may miss that job: ask again at the next sync.
        s.at = startedAt < s.nudgedAt ? 0 : Date.now();
        return jobs;
      } finally {
        s.inflight = undefined;
      }
    })();
    return s.inflight;
  }

  /**
   * Whether a job missing from the queue has really left it: missing from two reads, both started after
   * the last submit or cancel on this cluster (a read under way while sbatch answered cannot show the job).
   */
  gone(hostId: string, jobId: string): boolean {
    const s = this.state(hostId);
    if (s.readStartedAt <= s.nudgedAt) return false;
    const key = `${jobId}@${s.readStartedAt}`;
    if (s.missing.has(key)) return (s.missing.get(key) ?? 0) >= 2;
    const before = [...s.missing.keys()].filter((k) => k.startsWith(`${jobId}@`)).length;
    s.missing.set(key, before + 1);
    if (s.missing.size > 10_000) s.missing.clear();
    return before + 1 >= 2;
  }

  /** Whether `sacct` answers on this cluster (checked once per engine). */
  accounting(host: Host, access: HostAccess): Promise<boolean> {
    const s = this.state(host.id);
    s.accounting ??= access
      .exec(slurmCommand(clusterSettings(host), 'sacct -n -X -j 1 -o JobID'), { timeoutMs: 30_000 })
      .then((r) => r.code === 0 && !/accounting storage is disabled|not running a supported accounting_storage|Unable to|slurmdbd/i.test(r.stderr + r.stdout))
      .catch(() => false);
    return s.accounting;
  }

  /** A job that left the queue, from accounting: its final state, or null when accounting has nothing. */
  async finished(host: Host, access: HostAccess, jobId: string): Promise<{ state: string; exitCode: string } | null> {
    if (!(await this.accounting(host, access))) return null;
    const r = await access.exec(slurmCommand(clusterSettings(host), `sacct -n -X -P -j ${jobId.replace(/[^\d_]/g, '')} -o JobID,State,ExitCode`), { timeoutMs: 30_000 });
    return r.code === 0 ? parseSacct(r.stdout, jobId) : null;
  }

  intervalMs(hostId: string): number {
    return this.state(hostId).intervalMs;
  }
}
