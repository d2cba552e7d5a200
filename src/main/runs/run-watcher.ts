// Keeps every unfinished run streaming while the engine is open, and resumes them on start-up.
// A workstation host's runs arrive through its one channel (run-channels.ts) as they are written; each
// is still read in full now and then (and whenever the channel says it must be), and every run is
// polled as before while its host's channel is down.
import type { Host } from '../../shared/domain/host';
import { FINAL_STATUSES } from '../../shared/domain/run';
import { RunChannels } from './run-channels';
import type { SyncDeps } from './run-sync';
import { syncRun } from './run-sync';

/**
 * A run followed through a live channel is still read in full this often: a safety net (the watcher's
 * own state frames come every 5 s), not the path. 100 runs cost a remote process every 0.6 s.
 */
const FULL_READ_MS = 60_000;

export class RunWatcher {
  private timer: NodeJS.Timeout | undefined;
  private readonly busy = new Set<string>();
  /** Runs to read again as soon as their current read ends. */
  private readonly again = new Set<string>();
  private readonly lastRead = new Map<string, number>();
  readonly channels: RunChannels;
  /** Full reads made (for tests and the bench: with a live channel, few). */
  readonly stats = { fullReads: 0 };

  constructor(
    private readonly deps: SyncDeps,
    private readonly intervalMs: number,
  ) {
    this.channels = new RunChannels(deps, (id) => this.read(id));
  }

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    // Here, not at every engine open: a CLI command should not start with a write (it could wait
    // on the app's ingest for the lock).
    this.deps.runs.failStaleLaunches(10 * 60_000);
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    this.tick();
  }

  private tick(): void {
    const runs = this.deps.runs.unfinished();
    const hosts = new Map<string, Host>();
    this.channels.follow(
      // A test run's cases are read with its report (afterSync), by the full read.
      runs.filter((r) => r.kind !== 'test'),
      (run) => hosts.get(run.hostId) ?? hosts.set(run.hostId, this.deps.hosts.get(run.hostId)).get(run.hostId)!,
    );
    const now = Date.now();
    for (const { id } of runs) {
      if (this.channels.covers(id) && now - (this.lastRead.get(id) ?? 0) < FULL_READ_MS) continue;
      this.read(id);
    }
    const followed = new Set(runs.map((r) => r.id));
    for (const id of this.lastRead.keys()) if (!followed.has(id)) this.lastRead.delete(id);
  }

  /** One full read of the run (queued behind the one under way), then its channel learns the new cursors. */
  private read(id: string): void {
    if (this.busy.has(id)) {
      this.again.add(id); // the previous pass over this run is still reading
      return;
    }
    this.busy.add(id);
    this.stats.fullReads++;
    this.lastRead.set(id, Date.now());
    syncRun(this.deps, id)
      .then((run) => {
        if (!FINAL_STATUSES.includes(run.status)) this.channels.rewatch(id);
      })
      .catch(() => {})
      .finally(() => {
        this.busy.delete(id);
        if (this.again.delete(id) && this.timer) this.read(id);
      });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.channels.close();
  }
}
