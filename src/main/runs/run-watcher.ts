// Keeps every unfinished run streaming while the engine is open, and resumes them on start-up.
import type { SyncDeps } from './run-sync';
import { syncRun } from './run-sync';

export class RunWatcher {
  private timer: NodeJS.Timeout | undefined;
  private readonly busy = new Set<string>();

  constructor(
    private readonly deps: SyncDeps,
    private readonly intervalMs: number,
  ) {}

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
    for (const id of this.deps.runs.unfinishedIds()) {
      if (this.busy.has(id)) continue; // the previous pass over this run is still reading
      this.busy.add(id);
      syncRun(this.deps, id)
        .catch(() => {})
        .finally(() => this.busy.delete(id));
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
