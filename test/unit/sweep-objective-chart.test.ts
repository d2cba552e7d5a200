// The sweep page's "objective over trials": one diverged trial (1e8 beside 3.6) no longer flattens the
// rest. The y range is the charts' robust one; the diverged value is still there, marked at the edge.
import { describe, expect, it } from 'vitest';
import { objectiveOption, objectiveRange } from '../../src/renderer/features/sweeps/objective-chart';
import type { TrialView } from '../../src/renderer/features/sweeps/sweep-analysis';

const trial = (index: number, value: number | null, state: TrialView['state'] = 'completed'): TrialView => ({ index, runId: `r${index}`, params: {}, state, value, rungs: 1, reason: null });

interface Drawn {
  yAxis: { min?: number; max?: number };
  series: { id?: string; type: string; data: unknown[] }[];
}

describe('objective over trials', () => {
  it('draws the bulk of the trials when one diverged, and marks the diverged one at the top edge with its value', () => {
    const trials = [trial(0, 3.6), trial(1, 3.9), trial(2, 1e8, 'ended'), trial(3, 3.7, 'stopped'), trial(4, 4.1), trial(5, 3.5, 'running')];
    const range = objectiveRange(trials)!;
    expect(range.max).toBeLessThan(5);
    expect(range.min).toBeLessThan(3.5);
    expect(range.min).toBeGreaterThan(3);
    const option = objectiveOption(trials, 'minimize', 'light') as unknown as Drawn;
    expect(option.yAxis).toMatchObject({ min: range.min, max: range.max });
    // Every trial is still a point of its series; the diverged one is marked too.
    expect(option.series.filter((s) => s.type === 'scatter').reduce((n, s) => n + s.data.length, 0)).toBe(6);
    const marks = option.series.find((s) => s.id === 'off-scale')!.data as [number, number, number][];
    expect(marks).toEqual([[3, range.max, 1e8]]);
  });

  it('lets the chart pick its range when nothing lies far out (a steep but even spread is not cut)', () => {
    const trials = [trial(0, 3.6), trial(1, 5.2), trial(2, 7.9), trial(3, 12.4), trial(4, null, 'waiting')];
    expect(objectiveRange(trials)).toBeNull();
    const option = objectiveOption(trials, 'maximize', 'dark') as unknown as Drawn;
    expect(option.yAxis.min).toBeUndefined();
    expect(option.series.find((s) => s.id === 'off-scale')!.data).toEqual([]);
  });

  it('marks a value far below the rest at the bottom edge (a metric to maximize that collapsed)', () => {
    const trials = [trial(0, 0.81), trial(1, 0.84), trial(2, 0.79), trial(3, -5e6), trial(4, 0.8)];
    const range = objectiveRange(trials)!;
    expect(range.min).toBeGreaterThan(0.5);
    const marks = (objectiveOption(trials, 'maximize', 'light') as unknown as Drawn).series.find((s) => s.id === 'off-scale')!.data;
    expect(marks).toEqual([[4, range.min, -5e6]]);
  });
});

describe('objective over trials, trials close together', () => {
  it('keeps every trial a few thousandths apart in range (the best one too), and cuts only the diverged one', () => {
    const trials = [trial(0, 3.598), trial(1, 3.597), trial(2, 3.597), trial(3, 3.594), trial(4, 2.9e10)];
    const range = objectiveRange(trials)!;
    expect(range.min).toBeLessThanOrEqual(3.594);
    expect(range.max).toBeGreaterThanOrEqual(3.598);
    expect(range.max).toBeLessThan(3.61);
    const marks = (objectiveOption(trials, 'minimize', 'light') as unknown as Drawn).series.find((s) => s.id === 'off-scale')!.data;
    expect(marks).toEqual([[5, range.max, 2.9e10]]);
  });
});
