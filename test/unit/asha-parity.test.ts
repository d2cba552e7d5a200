// The app's ASHA (src/main/sweeps/asha.ts, for sweeps across several hosts) and the scheduler's
// (resources/remote/asha.py, beside the trials on one host) give the same decisions, cut-offs and
// sentences on the same reports: random sequences with ties, NaN, missing reports and replays, for
// eta 2 to 5 and both goals, and the sentences' numbers for awkward values.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Asha, formatValue, rungResources } from '../../src/main/sweeps/asha';
import { ROOT } from '../support/tunebench';

const REMOTE = path.join(ROOT, 'resources', 'remote');

type Value = number | 'nan' | null;
interface Case {
  min: number;
  max: number;
  eta: number;
  goal: 'minimize' | 'maximize';
  reports: [string, number, Value][];
}

const py = <T>(code: string, input: unknown): T =>
  JSON.parse(
    execFileSync('python3', ['-c', `import json, math, sys\nsys.path.insert(0, ${JSON.stringify(REMOTE)})\nimport asha\ndata = json.loads(sys.stdin.read())\n${code}`], {
      input: JSON.stringify(input),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    }),
  ) as T;

/** A small seeded generator (mulberry32): the same seed gives the same cases on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Trials go up the rungs in a random interleaving; some stop reporting (failed, or stopped by a
 * decision), some report the same rung again (a replay), values come from a small set (ties) or are NaN.
 */
function randomCase(seed: number): Case {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const eta = pick([2, 3, 4, 5]);
  const min = pick([1, 10, 100]);
  const max = min * eta ** Math.floor(rnd() * 4) + (rnd() < 0.4 ? Math.floor(rnd() * min * eta) : 0);
  const rungs = new Asha(min, max, eta).rungs.length;
  const trials = Array.from({ length: 2 + Math.floor(rnd() * 25) }, (_, i) => ({ id: `t${i}`, next: 0, gone: false }));
  const reports: [string, number, Value][] = [];
  const coarse = rnd() < 0.5; // few distinct values: many ties
  for (let n = 0; n < 200; n++) {
    const live = trials.filter((t) => !t.gone && t.next < rungs);
    if (!live.length) break;
    const t = pick(live);
    const r = rnd();
    const value: Value = r < 0.05 ? 'nan' : r < 0.07 ? null : coarse ? Math.floor(rnd() * 5) / 4 : Math.round(rnd() * 1e6) / 1e5 - 3;
    reports.push([t.id, t.next, value]);
    if (rnd() < 0.1 && t.next > 0) reports.push([t.id, t.next - 1, 0.5]); // a replay: its first value stands
    t.next++;
    if (rnd() < 0.12) t.gone = true; // ends before the next rung: never reports there
  }
  return { min, max, eta, goal: rnd() < 0.5 ? 'minimize' : 'maximize', reports };
}

const decideTs = (c: Case) => {
  const sched = new Asha(c.min, c.max, c.eta, c.goal);
  return c.reports.map(([trial, k, v]) => {
    const d = sched.report(trial, k, v === 'nan' ? NaN : v);
    return { ...d, value: Number.isNaN(d.value) ? null : d.value, cutoff: Number.isNaN(d.cutoff) ? null : d.cutoff };
  });
};

const decidePy = (cases: Case[]) =>
  py<unknown[][]>(
    `nan = lambda v: None if isinstance(v, float) and math.isnan(v) else v
out = []
for c in data:
    sched = asha.Asha(c["min"], c["max"], c["eta"], c["goal"])
    ds = []
    for trial, k, v in c["reports"]:
        d = sched.report(trial, k, float("nan") if v == "nan" else v)
        d["value"] = nan(d["value"])
        d["cutoff"] = nan(d["cutoff"])
        ds.append(d)
    out.append(ds)
print(json.dumps(out))`,
    cases,
  );

describe('ASHA in the app and on the host', () => {
  it('decide the same on 300 random report sequences (eta 2-5, both goals, ties, NaN, missing reports, replays)', () => {
    const cases = Array.from({ length: 300 }, (_, i) => randomCase(1000 + i));
    const fromPython = decidePy(cases);
    let decisions = 0;
    let stops = 0;
    cases.forEach((c, i) => {
      const fromTs = decideTs(c);
      expect(fromTs, `case ${i}: ${JSON.stringify(c)}`).toEqual(fromPython[i]);
      decisions += c.reports.length;
      stops += (fromPython[i] as { action: string }[]).filter((d) => d.action === 'stop').length;
    });
    // The cases are not trivial: many decisions, a good share of them stops.
    expect(decisions).toBeGreaterThan(10_000);
    expect(stops).toBeGreaterThan(decisions / 10);
  });

  it('have the same rungs for random settings (integer arithmetic, no floating-point log)', () => {
    const rnd = random(42);
    const settings = Array.from({ length: 500 }, () => {
      const eta = 2 + Math.floor(rnd() * 6);
      const min = 1 + Math.floor(rnd() * 200);
      return [min, min * eta ** Math.floor(rnd() * 6) + (rnd() < 0.5 ? 0 : Math.floor(rnd() * 3) - 1), eta, Math.floor(rnd() * 3)];
    });
    const fromPython = py<(number[] | string)[]>(
      `out = []
for args in data:
    try:
        out.append(asha.rung_resources(*args))
    except ValueError as e:
        out.append("refused")
print(json.dumps(out))`,
      settings,
    );
    settings.forEach(([min, max, eta, s], i) => {
      let ours: number[] | string;
      try {
        ours = rungResources(min!, max!, eta!, s);
      } catch {
        ours = 'refused';
      }
      expect(ours, JSON.stringify(settings[i])).toEqual(fromPython[i]);
    });
    expect(fromPython.filter((r) => r === 'refused').length).toBeGreaterThan(0);
  });

  it('write the numbers of their sentences alike (Python’s %.3f and %.4g, half to even, nan and inf)', () => {
    const values = [0.412, 0.388, 1, -0, 3.6, 1e8, 123456789.5, 0.0004567, 2.5e-7, 0.0625, 0.1875, -0.3125, 1.0005, 1e15, 1.5e15, -2.75, NaN, Infinity, -Infinity, 0.001, 999999.9996];
    const rnd = random(7);
    for (let i = 0; i < 2000; i++) values.push((rnd() - 0.5) * 10 ** Math.floor(rnd() * 16 - 8));
    const fromPython = py<string[]>(
      `print(json.dumps([asha._num(float(v)) for v in data]))`,
      values.map((v) => (Number.isFinite(v) ? v : String(v))),
    );
    expect(values.map(formatValue)).toEqual(fromPython);
  });
});
