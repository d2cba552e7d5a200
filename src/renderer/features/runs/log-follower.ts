// The lines of one run's log as the log view fetches them. A follower belongs to one run: once the view
// shows another run it is stopped, and an answer still on its way is dropped, never shown as the new
// run's lines (one shared "fetching" flag once let the old run's fetch go on into the new run's view).
/** Asks the engine for a run's lines after `afterLine`, at most `limit` of them. */
export type FetchLines = (runId: string, afterLine: number, limit: number) => Promise<{ n: number; text: string }[]>;

export interface FollowerEvents {
  /** New lines arrived: the run's log now holds `count` lines here. */
  lines(count: number): void;
  /** A fetch failed (null once one succeeds again). */
  error(err: unknown): void;
  /** The first fetch answered: from now on no lines means an empty log, not one still loading. */
  loaded?(): void;
}

export class LogFollower {
  /** Line n is at index n - 1. */
  readonly lines: string[] = [];
  private fetching = false;
  private again = false;
  private stopped = false;
  /** Whether a fetch has answered yet (an empty log and one not read yet both hold no lines). */
  loaded = false;

  constructor(
    readonly runId: string,
    private readonly fetchLines: FetchLines,
    private readonly on: FollowerEvents,
    private readonly batchSize = 5000,
  ) {}

  /**
   * Fetches the lines after those held, a batch at a time. Asked again while a fetch is on its way (new
   * lines were stored meanwhile), it goes round once more when that one ends instead of losing the ask.
   */
  async fetchNew(): Promise<void> {
    if (this.stopped) return;
    if (this.fetching) {
      this.again = true;
      return;
    }
    this.fetching = true;
    try {
      do {
        this.again = false;
        for (;;) {
          const batch = await this.fetchLines(this.runId, this.lines.length, this.batchSize);
          if (this.stopped) return; // the view moved on: this run's lines are not for it
          for (const l of batch) this.lines[l.n - 1] = l.text;
          if (batch.length > 0) this.on.lines(this.lines.length);
          if (batch.length < this.batchSize) break;
        }
      } while (this.again && !this.stopped);
      this.on.error(null);
      if (!this.loaded) {
        this.loaded = true;
        this.on.loaded?.();
      }
    } catch (err) {
      if (!this.stopped) this.on.error(err);
    } finally {
      this.fetching = false;
    }
  }

  /** The view shows another run now, or none: whatever arrives for this one is dropped. */
  stop(): void {
    this.stopped = true;
  }
}
