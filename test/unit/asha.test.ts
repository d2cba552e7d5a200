// ASHA, the sweep scheduler's decisions, against examples worked by hand and the paper's rung arithmetic
// (Li et al., MLSys 2020). Two implementations answer every case: resources/remote/asha.py (it runs
// beside the trials on the GPU host) and src/main/sweeps/asha.ts (the app drives sweeps across several
// hosts with it). Each case feeds reports in order and reads the decisions back.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ts from '../../src/main/sweeps/asha';
import { ROOT } from '../support/tunebench';

const REMOTE = path.join(ROOT, 'resources', 'remote');

interface Decision {
  action: 'continue' | 'stop' | 'complete';
  rung: number;
  resource: number;
  value: number | null;
  cutoff: number | null;
  rank: number | null;
  results: number;
  keep: number | null;
  reason: string;
}

/** Runs Python code with asha imported; `input` arrives as the variable `data`, what it prints is parsed as JSON. */
function py<T>(code: string, input: unknown = null): T {
  const program = `import json, math, sys\nsys.path.insert(0, ${JSON.stringify(REMOTE)})\nimport asha\ndata = json.loads(sys.stdin.read())\n${code}`;
  return JSON.parse(execFileSync('python3', ['-c', program], { input: JSON.stringify(input), encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] })) as T;
}

type Config = { min: number; max: number; eta: number; goal: 'minimize' | 'maximize' };
type Report = [string, number, number | 'nan' | null];

interface Implementation {
  rungs(...args: number[]): number[];
  /** The rungs a scheduler uses: R added as the last one. */
  schedulerRungs(min: number, max: number, eta: number): number[];
  /** Feeds reports [trial, rung, value] in order ("nan" for NaN) and returns each decision. */
  decide(config: Config, reports: Report[]): Decision[];
  valuesAt(points: number[][], resources: number[]): (number | null)[];
  /** Throws when the settings give no rung; `args` as Python would write them. */
  refuse(args: string): void;
}

const python: Implementation = {
  rungs: (...args) => py<number[]>(`print(json.dumps(asha.rung_resources(*data)))`, args),
  schedulerRungs: (min, max, eta) => py<number[]>(`print(json.dumps(asha.Asha(*data).rungs))`, [min, max, eta]),
  decide: (config, reports) =>
    py<Decision[]>(
      `c = data["config"]\nsched = asha.Asha(c["min"], c["max"], c["eta"], c["goal"])\nout = []\nfor trial, k, v in data["reports"]:\n    d = sched.report(trial, k, float("nan") if v == "nan" else v)\n    d["value"] = None if isinstance(d["value"], float) and math.isnan(d["value"]) else d["value"]\n    out.append(d)\nprint(json.dumps(out))`,
      { config, reports },
    ),
  valuesAt: (points, resources) => py<(number | null)[]>(`print(json.dumps([asha.value_at(data[0], r) for r in data[1]]))`, [points, resources]),
  refuse: (args) => void py(`asha.rung_resources(${args})`),
};

const typescript: Implementation = {
  rungs: (min, max, eta, s) => ts.rungResources(min!, max!, eta!, s),
  schedulerRungs: (min, max, eta) => new ts.Asha(min, max, eta).rungs,
  decide: (config, reports) => {
    const sched = new ts.Asha(config.min, config.max, config.eta, config.goal);
    return reports.map(([trial, k, v]) => {
      const d = sched.report(trial, k, v === 'nan' ? NaN : v);
      return { ...d, value: Number.isNaN(d.value) ? null : d.value };
    });
  },
  valuesAt: (points, resources) => resources.map((r) => ts.valueAt(points as [number, number][], r) ?? null),
  refuse: (args) => void ts.rungResources(...(args.split(',').map(Number) as [number, number, number, number?])),
};

describe.each([
  ['asha.py', python],
  ['asha.ts', typescript],
])('%s', (_name, impl) => {
  describe('ASHA rungs (the paper: r * eta^(s+k) for k = 0 .. floor(log_eta(R/r)) - s)', () => {
    it('gives the paper’s rungs for powers of eta, with and without an early-stopping rate', () => {
      expect(impl.rungs(1, 81, 3)).toEqual([1, 3, 9, 27, 81]);
      expect(impl.rungs(1, 81, 3, 1)).toEqual([3, 9, 27, 81]);
      expect(impl.rungs(1, 81, 3, 2)).toEqual([9, 27, 81]);
      expect(impl.rungs(100, 900, 3)).toEqual([100, 300, 900]);
      expect(impl.rungs(1, 256, 4)).toEqual([1, 4, 16, 64, 256]);
      expect(impl.rungs(5, 5, 3)).toEqual([5]);
    });

    it('stops below R when R/r is not a power of eta (integer arithmetic: 243 = 3^5 is a rung, 242 is not)', () => {
      expect(impl.rungs(1, 100, 4)).toEqual([1, 4, 16, 64]);
      expect(impl.rungs(1, 243, 3)).toEqual([1, 3, 9, 27, 81, 243]);
      expect(impl.rungs(1, 242, 3)).toEqual([1, 3, 9, 27, 81]);
      // The scheduler then trains to R itself: R is the last rung, where nothing is decided.
      expect(impl.schedulerRungs(1, 100, 4)).toEqual([1, 4, 16, 64, 100]);
      expect(impl.schedulerRungs(100, 900, 3)).toEqual([100, 300, 900]);
    });

    it('refuses settings without a rung, with a sentence', () => {
      for (const args of ['1, 81, 1', '0, 81, 3', '10, 5, 3', '1, 81, 2.5', '10, 20, 3, 1']) {
        expect(() => impl.refuse(args)).toThrow(/(ValueError: )?.+(whole number|min_resource|no rung)/);
      }
    });
  });

  describe('ASHA decisions (stopping form: a trial goes on when in the top ceil(n/eta) of its rung so far)', () => {
    it('eta 3, minimize: continues the best third, ties with the cut-off continue, NaN is worst', () => {
      const d = impl.decide({ min: 1, max: 9, eta: 3, goal: 'minimize' }, [
        ['A', 0, 0.5], // 1 result, keep 1: A is the top 1 of 1
        ['B', 0, 0.4], // 2 results, keep 1: B (0.4) is best
        ['C', 0, 0.6], // 3 results, keep 1 (cut-off 0.4): stop
        ['D', 0, 0.45], // 4 results, keep 2: [0.4, 0.45, 0.5, 0.6] cut-off 0.45
        ['E', 0, 0.45], // 5 results, keep 2: E ties with the cut-off 0.45 and continues
        ['F', 0, 'nan'], // 6 results, keep 2: NaN ranks below every number
        ['G', 0, 0.3], // 7 results, keep 3: best
        ['A', 1, 0.35], // rung 1 (resource 3): 1 result
        ['B', 1, 0.2],
        ['D', 1, 0.3], // 3 results, keep 1 (0.2): stop
        ['B', 2, 0.1], // the last rung (9): trained to the end
        ['C', 0, 0.1], // C again at rung 0 (a replayed decision): its first value stands
      ]);
      expect(d.map((x) => x.action)).toEqual(['continue', 'continue', 'stop', 'continue', 'continue', 'stop', 'continue', 'continue', 'continue', 'stop', 'complete', 'stop']);
      expect(d.map((x) => x.keep)).toEqual([1, 1, 1, 2, 2, 2, 3, 1, 1, 1, null, 3]);
      expect(d.map((x) => x.cutoff)).toEqual([0.5, 0.4, 0.4, 0.45, 0.45, 0.45, 0.45, 0.35, 0.2, 0.2, null, 0.45]);
      expect(d[2]!.reason).toBe('stopped at rung 0: 0.6 not in the top 1/3 (0.4)');
      expect(d[4]).toMatchObject({ rank: 2, results: 5, reason: 'continues at rung 0: 0.45 in the top 1/3 (2 of 5; cut-off 0.45)' });
      expect(d[5]!.reason).toBe('stopped at rung 0: nan not in the top 1/3 (0.45)');
      expect(d[9]).toMatchObject({ resource: 3, reason: 'stopped at rung 1: 0.3 not in the top 1/3 (0.2)' });
      expect(d[10]).toMatchObject({ resource: 9, reason: 'reached the last rung (9): trained to the end' });
      expect(d[11]).toMatchObject({ value: 0.6, results: 7 }); // not counted twice
    });

    it('eta 4, maximize: keeps the best quarter; a trial that never reports does not move the cut-off', () => {
      const d = impl.decide({ min: 100, max: 1600, eta: 4, goal: 'maximize' }, [
        ['a', 0, 0.7],
        ['b', 0, 0.8],
        ['c', 0, 0.75], // 3 results, keep 1 (0.8): stop
        ['d', 0, 0.9],
        ['e', 0, 0.85], // 5 results, keep 2: [0.9, 0.85, ...] cut-off 0.85: continue
        ['f', 0, 0.8], // 6 results, keep 2: stop
        ['g', 0, 0.8], // 7 results, keep 2: stop
        ['h', 0, 0.95], // 8 results, keep 2: [0.95, 0.9] continue
        ['i', 0, 0.9], // 9 results, keep 3: [0.95, 0.9, 0.9]: i ties with d at the cut-off
        // a, b, d, e, h, i went on; a and b failed before rung 1 and never report there.
        ['e', 1, 0.86],
        ['d', 1, 0.91],
        ['h', 1, 0.9], // 3 results at rung 1, keep 1 (0.91): stop
        ['i', 1, 0.92], // 4 results, keep 1: i is best
        ['i', 2, 0.93], // 1600 is the last rung
      ]);
      expect(d.map((x) => x.action)).toEqual(['continue', 'continue', 'stop', 'continue', 'continue', 'stop', 'stop', 'continue', 'continue', 'continue', 'continue', 'stop', 'continue', 'complete']);
      expect(d[2]!.reason).toBe('stopped at rung 0: 0.75 not in the top 1/4 (0.8)');
      expect(d[8]).toMatchObject({ keep: 3, rank: 2, cutoff: 0.9 });
      expect(d[11]).toMatchObject({ resource: 400, results: 3, cutoff: 0.91 });
    });

    it('a trial’s report for a rung is its last objective value at or before the rung’s resource', () => {
      const points = [
        [50, 1.0],
        [90, 0.9],
        [120, 0.8],
      ];
      expect(impl.valuesAt(points, [10, 50, 100, 120, 1000])).toEqual([null, 1.0, 0.9, 0.8, 0.8]);
    });

    it('replaying a decision file in order gives the same decisions (a restarted scheduler resumes)', () => {
      const reports: [string, number, number][] = Array.from({ length: 30 }, (_, i) => [`t${i % 12}`, Math.floor(i / 12), Math.round(Math.sin(i * 7.3) * 1000) / 1000]);
      const first = impl.decide({ min: 1, max: 27, eta: 3, goal: 'minimize' }, reports);
      const again = impl.decide({ min: 1, max: 27, eta: 3, goal: 'minimize' }, [...reports, ...reports]);
      expect(again.slice(0, reports.length)).toEqual(first);
      // The replayed half adds nothing: each rung holds each trial once.
      const perRung = (k: number) => new Set(reports.filter(([, rung]) => rung === k).map(([trial]) => trial)).size;
      expect(again.slice(reports.length).map((x) => x.results)).toEqual(reports.map(([, k]) => perRung(k)));
    });
  });
});
