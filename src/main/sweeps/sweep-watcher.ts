// Follows every sweep whose scheduler may still be deciding, while the engine is open (the app; the CLI
// reads a sweep when asked). A sweep goes on without it: the scheduler lives on the host.
import { syncSweep, type SweepDeps } from './sweep-service';

export class SweepWatcher {
  private timer: NodeJS.Timeout | undefined;
  private readonly busy = new Set<string>();

  constructor(
    private readonly deps: SweepDeps,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    this.tick();
  }

  private tick(): void {
    for (const id of this.deps.sweeps.activeIds()) {
      if (this.busy.has(id)) continue; // the previous pass is still reading
      this.busy.add(id);
      syncSweep(this.deps, id)
        .catch(() => {}) // a host that cannot be reached now is tried again next tick
        .finally(() => this.busy.delete(id));
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
