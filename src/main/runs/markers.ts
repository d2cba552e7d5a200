// Markers a researcher wants to see without reading every line: NaN or infinite loss, loss spikes
// (robust z-score against the recent window), CUDA out of memory, Python tracebacks, NCCL errors, restarts.
export type MarkerKind = 'nan_loss' | 'loss_spike' | 'cuda_oom' | 'traceback' | 'nccl_error' | 'restart';

export interface Marker {
  kind: MarkerKind;
  line: number | null;
  step: number | null;
  detail: string;
}

const LOG_PATTERNS: [MarkerKind, RegExp][] = [
  ['cuda_oom', /CUDA out of memory|torch\.(cuda\.)?OutOfMemoryError|CUBLAS_STATUS_ALLOC_FAILED/],
  ['traceback', /^Traceback \(most recent call last\):/],
  ['nccl_error', /NCCL (error|WARN .*(timeout|failed))|ncclInternalError|ncclSystemError|NCCL communicator was aborted|Watchdog caught collective operation timeout/i],
  ['restart', /Resuming (training )?from checkpoint|Restarting (worker|agent)|\[tunebench\] run restarted/i],
];

/** The marker a log line carries, if any. */
export function logMarker(text: string, line: number): Marker | null {
  for (const [kind, re] of LOG_PATTERNS) if (re.test(text)) return { kind, line, step: null, detail: text.slice(0, 300) };
  return null;
}

export const SPIKE_WINDOW = 64;
export const SPIKE_Z = 8;

/**
 * Watches one loss series: NaN/infinite values, and values whose robust z-score against the last
 * SPIKE_WINDOW values (median and MAD, refreshed every 16 points) exceeds SPIKE_Z.
 */
export class LossWatch {
  private recent: number[] = [];
  private median = 0;
  private mad = 0;
  private sinceRefresh = 0;
  private lastWasNan = false;

  constructor(seed: number[] = []) {
    for (const v of seed) this.push(v);
  }

  private push(v: number): void {
    this.recent.push(v);
    if (this.recent.length > SPIKE_WINDOW) this.recent.shift();
    if (++this.sinceRefresh >= 16 || this.recent.length < 16) this.refresh();
  }

  private refresh(): void {
    this.sinceRefresh = 0;
    const sorted = [...this.recent].sort((a, b) => a - b);
    this.median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    const dev = sorted.map((v) => Math.abs(v - this.median)).sort((a, b) => a - b);
    this.mad = dev[Math.floor(dev.length / 2)] ?? 0;
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
    if (this.recent.length >= 16) {
      const scale = 1.4826 * this.mad || Math.abs(this.median) * 1e-3 || 1e-12;
      const z = (value - this.median) / scale;
      if (z > SPIKE_Z) marker = { kind: 'loss_spike', line: null, step, detail: `${name} ${value.toPrecision(4)} against a recent median of ${this.median.toPrecision(4)} (robust z ${z.toFixed(0)})` };
    }
    this.push(value);
    return marker;
  }
}

export const isLossName = (name: string) => /(^|_)loss$/.test(name);
