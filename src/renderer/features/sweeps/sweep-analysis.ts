// What the sweep page shows, worked out from the scheduler's decisions: each trial's state and value,
// the rungs with their cut-offs, and how each parameter goes with the objective.
import type { Sweep, SweepDecision } from '../../../shared/domain/sweep';

export interface TrialView {
  index: number;
  runId: string | null;
  params: Record<string, unknown>;
  /** waiting, running, stopped (by ASHA), completed, ended (grid/random), cancelled with the sweep */
  state: 'waiting' | 'running' | 'stopped' | 'completed' | 'ended';
  /** The best objective value it reported (its last rung's value under ASHA). */
  value: number | null;
  /** Rungs it reached. */
  rungs: number;
  reason: string | null;
}

export interface RungView {
  rung: number;
  resource: number;
  results: number;
  continued: number;
  stopped: number;
  /** The cut-off the last decision at this rung used. */
  cutoff: number | null;
}

export function trialViews(sweep: Sweep, decisions: SweepDecision[]): TrialView[] {
  return sweep.trials.map((t) => {
    const mine = decisions.filter((d) => d.runId !== null && d.runId === t.runId);
    const started = mine.some((d) => d.action === 'start');
    const ended = mine.find((d) => d.action === 'ended');
    const stop = mine.find((d) => d.action === 'stop');
    const complete = mine.find((d) => d.action === 'complete');
    const judged = mine.filter((d) => d.rung !== null);
    const state: TrialView['state'] = !started ? 'waiting' : stop ? 'stopped' : complete ? 'completed' : ended ? 'ended' : 'running';
    const lastJudged = judged[judged.length - 1];
    const value = complete?.value ?? lastJudged?.value ?? ended?.value ?? null;
    const last = mine[mine.length - 1];
    return { index: t.index, runId: t.runId, params: t.params, state, value, rungs: judged.length, reason: (stop ?? last)?.reason ?? null };
  });
}

export function rungViews(sweep: Sweep, decisions: SweepDecision[]): RungView[] {
  const method = sweep.spec.method;
  if (method.name !== 'asha') return [];
  const byRung = new Map<number, SweepDecision[]>();
  for (const d of decisions) if (d.rung !== null && ['continue', 'stop', 'complete', 'ranked'].includes(d.action)) byRung.set(d.rung, [...(byRung.get(d.rung) ?? []), d]);
  return [...byRung.entries()]
    .sort(([a], [b]) => a - b)
    .map(([rung, ds]) => {
      const judged = ds.filter((d) => d.cutoff !== null);
      return {
        rung,
        resource: method.min_resource * method.eta ** (method.early_stop_rate + rung),
        results: ds.length,
        continued: ds.filter((d) => d.action === 'continue').length,
        stopped: ds.filter((d) => d.action === 'stop').length,
        cutoff: judged[judged.length - 1]?.cutoff ?? null,
      };
    });
}

/** Spearman's rank correlation of each numeric parameter (the log of a log-uniform one) with the objective. */
export function correlations(sweep: Sweep, trials: TrialView[]): { param: string; rho: number; n: number }[] {
  const scored = trials.filter((t) => t.value !== null);
  const names = Object.keys(sweep.spec.params).filter((name) => typeof sweep.spec.params[name] === 'object');
  return names
    .map((name) => {
      const pairs = scored.map((t) => [Number(t.params[name]), t.value!] as const).filter(([x]) => Number.isFinite(x));
      return {
        param: name,
        rho: spearman(
          pairs.map(([x]) => x),
          pairs.map(([, y]) => y),
        ),
        n: pairs.length,
      };
    })
    .filter((c) => c.n >= 3 && Number.isFinite(c.rho));
}

function ranks(xs: number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) r[order[k]![1]] = (i + j) / 2 + 1; // ties share their mean rank
    i = j + 1;
  }
  return r;
}

export function spearman(xs: number[], ys: number[]): number {
  const rx = ranks(xs);
  const ry = ranks(ys);
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const mx = mean(rx);
  const my = mean(ry);
  let num = 0;
  let dx = 0;
  let dy = 0;
  for (let i = 0; i < rx.length; i++) {
    num += (rx[i]! - mx) * (ry[i]! - my);
    dx += (rx[i]! - mx) ** 2;
    dy += (ry[i]! - my) ** 2;
  }
  return dx === 0 || dy === 0 ? NaN : num / Math.sqrt(dx * dy);
}
