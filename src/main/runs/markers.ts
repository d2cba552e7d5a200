// Markers a researcher wants to see without reading every line: NaN or infinite loss, loss spikes
// (robust z-score against the recent window), CUDA out of memory, Python tracebacks, NCCL errors, restarts.
import type { MarkerOut } from '../../shared/domain/run';

export type MarkerKind = MarkerOut['kind'];

export interface Marker {
  kind: MarkerKind;
  line: number | null;
  step: number | null;
  detail: string;
}

/**
 * A line a launcher prefixes with its worker (torchrun's "[default0]:", "[rank1]: ") is still that
 * worker's line: the prefix is kept aside so a traceback's lines are read as the worker wrote them.
 */
const WORKER_PREFIX = /^\[[^\]\s]{1,40}\]:\s?/;
// Python 3.11's exception groups print "  + Exception Group Traceback (most recent call last):", their
// frames and their own exception line behind "  | ".
const TRACEBACK_HEADER = /^(?:\[[^\]\s]{1,40}\]:\s?)?(?:Traceback| {2}\+ Exception Group Traceback) \(most recent call last\):/;
const GROUP_LINE = '  | ';

/**
 * What marks a log line: [kind, pattern, then]. `then`, when given, must match after the pattern's
 * first match. Every pattern is linear in the line's length: literals and alternations of literals,
 * no `.*` and no quantifier beside another that can match the same characters. "A .* B" searched at
 * every position of a line is quadratic (a 64 KiB line of "NCCL WARN " repeated took 0.35 s, a
 * 4 MB one minutes); it is written as A, then B in the rest of the line.
 */
export const LOG_PATTERNS: readonly [MarkerKind, RegExp, RegExp?][] = [
  ['cuda_oom', /CUDA out of memory|torch\.(?:cuda\.)?OutOfMemoryError|CUBLAS_STATUS_ALLOC_FAILED/],
  ['traceback', TRACEBACK_HEADER],
  ['nccl_error', /NCCL error|ncclInternalError|ncclSystemError|NCCL communicator was aborted|Watchdog caught collective operation timeout/i],
  ['nccl_error', /NCCL WARN /i, /timeout|failed/i],
  ['restart', /Resuming (?:training )?from checkpoint|Restarting (?:worker|agent)|\[tunebench\] run restarted/i],
];

/** How much of a line the patterns read: what ingest stores of it (MAX_LOG_LINE_CHARS), not megabytes. */
export const MARKER_SCAN_CHARS = 64 * 1024;

/** The marker a log line carries, if any. */
export function logMarker(line: string, n: number): Marker | null {
  const text = line.length > MARKER_SCAN_CHARS ? line.slice(0, MARKER_SCAN_CHARS) : line;
  for (const [kind, re, then] of LOG_PATTERNS) {
    const m = re.exec(text);
    if (m && (!then || then.test(text.slice(m.index + m[0].length)))) return { kind, line: n, step: null, detail: text.slice(0, 300) };
  }
  return null;
}

/** A traceback marker whose exception line has not been read yet (its detail is still the header). */
export function isOpenTraceback(marker: { kind: MarkerKind; detail: string }): boolean {
  return marker.kind === 'traceback' && TRACEBACK_HEADER.test(marker.detail);
}

/** Lines after a traceback's header that are read looking for its exception line before giving up. */
export const TRACEBACK_MAX_LINES = 5000;

/**
 * Reads the lines after a traceback's header (the marker's detail): undefined while they are its
 * frames (indented: "  File ...", the source line, carets), blank, or another worker's; else the
 * exception that ended it, e.g. "ValueError: lr must be positive" (what a person wants to see,
 * not "Traceback (most recent call last):"). Python prints the exception unindented after the frames.
 */
export function tracebackEnd(header: string, line: string): string | undefined {
  const prefix = WORKER_PREFIX.exec(header)?.[0] ?? '';
  if (!line.startsWith(prefix)) return undefined; // another worker's line, or the launcher's
  let body = line.slice(prefix.length);
  if (header.includes('Exception Group Traceback')) {
    // The group's own lines: its frames are indented after "  | ", its exception is not.
    if (!body.startsWith(GROUP_LINE)) return undefined;
    body = body.slice(GROUP_LINE.length);
  }
  if (body.trim() === '' || body.startsWith(' ') || body.startsWith('\t')) return undefined;
  if (TRACEBACK_HEADER.test(body)) return undefined; // a new traceback: it has its own marker
  return body.trim().slice(0, 300);
}

export const SPIKE_WINDOW = 64;
export const SPIKE_Z = 8;

/**
 * Watches one loss series: NaN/infinite values, and values whose robust z-score against the last
 * SPIKE_WINDOW values (median and MAD, refreshed every 16 points) exceeds SPIKE_Z.
 */
export class LossWatch {
  /** The last SPIKE_WINDOW values in arrival order (a ring), and the same values kept sorted. */
  private readonly recent = new Float64Array(SPIKE_WINDOW);
  private readonly sorted = new Float64Array(SPIKE_WINDOW);
  private count = 0;
  private next = 0;
  private median = 0;
  private mad = 0;
  private sinceRefresh = 0;
  private lastWasNan = false;

  constructor(seed: number[] = []) {
    for (const v of seed) this.push(v);
  }

  // Keeping the window sorted as values come and go costs a binary search and a memmove per value;
  // re-sorting it at each refresh cost more than the rest of the loss checks together.
  private push(v: number): void {
    const s = this.sorted;
    if (this.count === SPIKE_WINDOW) {
      const gone = lowerBound(s, this.count, this.recent[this.next]!);
      s.copyWithin(gone, gone + 1, this.count);
      this.count--;
    }
    const at = lowerBound(s, this.count, v);
    s.copyWithin(at + 1, at, this.count);
    s[at] = v;
    this.count++;
    this.recent[this.next] = v;
    this.next = (this.next + 1) % SPIKE_WINDOW;
    if (++this.sinceRefresh >= 16 || this.count < 16) this.refresh();
  }

  /** Median, and MAD: the k-th smallest |x - median|, walking out from the median both ways. */
  private refresh(): void {
    this.sinceRefresh = 0;
    const s = this.sorted;
    const n = this.count;
    const mid = Math.floor(n / 2);
    this.median = n > 0 ? s[mid]! : 0;
    let up = mid;
    let down = mid - 1;
    let dev = 0;
    for (let k = 0; k <= mid && n > 0; k++) {
      const right = up < n ? s[up]! - this.median : Infinity;
      const left = down >= 0 ? this.median - s[down]! : Infinity;
      if (right <= left) {
        dev = right;
        up++;
      } else {
        dev = left;
        down--;
      }
    }
    this.mad = dev;
  }

  check(name: string, value: number | null, step: number | null): Marker | null {
    if (value === null) {
      // One marker where a run of NaNs starts, not one per step of a diverged run.
      const first = !this.lastWasNan;
      this.lastWasNan = true;
      return first ? { kind: 'nan_loss', line: null, step, detail: `${name} is NaN or infinite` } : null;
    }
    this.lastWasNan = false;
    let marker: Marker | null = null;
    if (this.count >= 16) {
      const scale = 1.4826 * this.mad || Math.abs(this.median) * 1e-3 || 1e-12;
      const z = (value - this.median) / scale;
      if (z > SPIKE_Z) marker = { kind: 'loss_spike', line: null, step, detail: `${name} ${value.toPrecision(4)} against a recent median of ${this.median.toPrecision(4)} (robust z ${z.toFixed(0)})` };
    }
    this.push(value);
    return marker;
  }
}

/** The first index of s[0, n) whose value is not below v. */
function lowerBound(s: Float64Array, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (s[m]! < v) lo = m + 1;
    else hi = m;
  }
  return lo;
}

export const isLossName = (name: string) => /(^|_)loss$/.test(name);
