// Small helpers for benchmarks: medians of repeated timings, temp dirs, the repo root.
import { spawnSync } from 'node:child_process';
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

/**
 * Every wait in a benchmark has a deadline: a step that never comes (a tail that missed its line, a
 * server that never printed its URL) fails the bench run with what it waited for, instead of hanging it.
 */
export class BenchTimeout extends Error {}

/** Checks `check` until it returns something truthy (returned), every `everyMs`, for at most `timeoutMs`. */
export async function until(what, check, timeoutMs = 60_000, everyMs = 20) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new BenchTimeout(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The promise's value, or a BenchTimeout naming `what` after `timeoutMs`. */
export function withDeadline(what, promise, timeoutMs) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new BenchTimeout(`timed out after ${timeoutMs / 1000} s waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * Follows a child's stdout; `waitFor(pattern, what)` resolves with the first match in what it printed
 * after `from` (a position in `text()`), and fails when the child exits first or after the deadline.
 */
export function followOutput(child) {
  let out = '';
  let exited = null;
  const waiters = new Set();
  const check = () => {
    for (const w of waiters) {
      const m = w.pattern.exec(out.slice(w.from));
      if (m) {
        waiters.delete(w);
        w.resolve(m);
      } else if (exited !== null) {
        waiters.delete(w);
        w.reject(new Error(`${w.what}: the process exited (${exited}) first; it printed: ${out.slice(-300)}`));
      }
    }
  };
  child.stdout.on('data', (d) => {
    out += d;
    check();
  });
  child.on('exit', (code, signal) => {
    exited = code ?? signal;
    check();
  });
  return {
    text: () => out,
    waitFor(pattern, what, timeoutMs = 20_000, from = 0) {
      const found = new Promise((resolve, reject) => {
        waiters.add({ pattern, what, from, resolve, reject });
        check();
      });
      return withDeadline(what, found, timeoutMs);
    },
  };
}

/**
 * spawnSync that cannot hang: killed after `timeoutMs`, and a timeout, a failure to start or a non-zero
 * exit throws with `what` (a benchmark must not time a command that failed).
 */
export function runSync(what, command, args, options = {}, timeoutMs = 120_000) {
  const r = spawnSync(command, args, { ...options, timeout: timeoutMs, killSignal: 'SIGKILL' });
  if (r.error?.code === 'ETIMEDOUT') throw new BenchTimeout(`timed out after ${timeoutMs / 1000} s: ${what}`);
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what} exited ${r.status ?? r.signal}: ${String(r.stderr ?? '').slice(-500)}`);
  return r;
}
