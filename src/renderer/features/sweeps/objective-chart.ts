// The sweep page's "objective over trials" scatter. Its y range is the charts' robust one
// (charts/y-range.ts, as the run charts): one diverged trial (1e8 beside 3.6) no longer flattens every
// other trial to a line. A value beyond the range is still drawn: marked at the plot's edge with its
// value, as the run charts mark a spike.
import { offScaleMarks, offScaleSeries, robustRange, type YRange } from '../../charts/y-range';
import type { Theme } from '../../theme';
import type { TrialView } from './sweep-analysis';

export const STATE_WORDS: Record<TrialView['state'], string> = { waiting: 'waiting for a slot', running: 'running', stopped: 'stopped early', completed: 'trained to the end', ended: 'ended' };
export const fmt = (v: number | null) => (v === null ? '—' : Math.abs(v) >= 1000 || (Math.abs(v) < 0.001 && v !== 0) ? v.toExponential(3) : String(Number(v.toPrecision(4))));

const STATES = ['completed', 'ended', 'stopped', 'running'] as const;
/** ECharts' default palette, in the order the series come: a mark has its series' colour. */
const PALETTE = ['#5470c6', '#91cc75', '#fac858', '#ee6666'];

/** A round step near span / 5 (1, 2 or 5 times a power of ten), so the axis reads 3.594 .. 3.599, not 3.5977225160742603. */
function niceStep(span: number): number {
  const raw = span / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

/**
 * The range drawn when a value lies far outside the rest (null: all of them fit, ECharts picks it).
 * The charts' robust range finds the bulk; a value left out of it is off-scale only when it is far
 * from the bulk on the bulk's own scale (its size, or its spread when that is larger). Trials a few
 * thousandths apart (the best one among them) are all drawn; a diverged one (1e8 beside 3.6) is not.
 */
export function objectiveRange(trials: TrialView[]): YRange | null {
  const values = trials.filter((t) => t.state !== 'waiting' && t.value !== null && Number.isFinite(t.value)).map((t) => t.value!);
  const bulk = robustRange(values);
  if (!bulk) return null;
  const scale = Math.max(bulk.max - bulk.min, Math.abs(bulk.max + bulk.min) / 2);
  const kept = values.filter((v) => v >= bulk.min - scale && v <= bulk.max + scale);
  if (kept.length === values.length || !kept.length) return null;
  const [lo, hi] = [Math.min(...kept), Math.max(...kept)];
  // Some room above and below, so the bulk's own points are not on the edge under the marks.
  const span = hi - lo || Math.abs(hi) * 0.1 || 1;
  const step = niceStep(span * 1.2);
  return { min: Math.floor((lo - span * 0.1) / step) * step, max: Math.ceil((hi + span * 0.1) / step) * step };
}

export function objectiveOption(trials: TrialView[], goal: string, theme: Theme): Record<string, unknown> {
  const range = objectiveRange(trials);
  const text = theme === 'dark' ? '#e3e7ee' : '#1c2430';
  const perState = STATES.map((state) => trials.filter((t) => t.state === state && t.value !== null && Number.isFinite(t.value)));
  const marks = range
    ? offScaleMarks(
        perState.map((ts, i) => ({ points: ts.map((t) => [t.index + 1, t.value] as const), color: PALETTE[i]! })),
        range,
      )
    : [];
  return {
    animation: false,
    backgroundColor: 'transparent',
    color: PALETTE,
    grid: { left: 60, right: 20, top: 36, bottom: 64 },
    tooltip: { trigger: 'item', formatter: (p: { data: [number, number, string] }) => `trial ${p.data[0]}: ${fmt(p.data[1])} (${p.data[2]})` },
    xAxis: { type: 'value', name: 'trial', nameLocation: 'middle', nameGap: 24, minInterval: 1 },
    yAxis: {
      type: 'value',
      name: goal === 'minimize' ? 'objective (lower is better)' : 'objective (higher is better)',
      scale: true,
      ...(range ? { min: range.min, max: range.max } : {}),
      axisLabel: { formatter: (v: number) => String(Number(v.toPrecision(6))) },
    },
    series: [
      ...STATES.map((state, i) => ({
        type: 'scatter',
        name: STATE_WORDS[state],
        symbolSize: state === 'stopped' ? 7 : 10,
        // Points beyond the range run off the plot; the marks below say where and how far.
        clip: true,
        data: perState[i]!.map((t) => [t.index + 1, t.value, STATE_WORDS[state]]),
      })),
      offScaleSeries(marks, range ?? { min: 0, max: 1 }, text),
    ],
    legend: { bottom: 0, data: STATES.map((s) => STATE_WORDS[s]) },
  };
}
