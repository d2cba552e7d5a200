// Small helpers for benchmarks: medians of repeated timings, temp dirs, the repo root.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const tempDir = (prefix = 'tb-bench-') => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function timeMedian(times, fn) {
  const samples = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await fn(i);
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

export const ms = (v) => `${v.toFixed(1)} ms`;
export const ratio = (ours, base) => `${(ours / base).toFixed(2)}x`;
