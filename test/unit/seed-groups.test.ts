import { describe, expect, it } from 'vitest';
import { interpolateAt, meanStd, seedGroups } from '../../src/renderer/features/compare/seed-groups';
import { smoothEma } from '../../src/renderer/features/compare/smoothing';

const row = (id: string, params: Record<string, unknown>, recipe = 'hf-sft') => ({ id, recipe, params }) as never;

describe('seed grouping', () => {
  it('groups runs that differ only in their seed', () => {
    const runs = [row('a', { lr: 1e-4, seed: 1 }), row('b', { lr: 2e-4, seed: 1 }), row('c', { seed: 2, lr: 1e-4 }), row('d', { lr: 1e-4, seed: 3 }, 'axolotl')];
    expect(seedGroups(runs)).toEqual([['a', 'c'], ['b'], ['d']]);
  });

  it('aligns curves by interpolation and gives mean and sample standard deviation', () => {
    const a: [number, number | null][] = [
      [0, 1],
      [10, 3],
    ];
    const b: [number, number | null][] = [
      [0, 3],
      [5, 4],
      [10, 5],
    ];
    expect(interpolateAt(a, 5)).toBe(2);
    expect(interpolateAt(a, 11)).toBeNull();
    const { mean, lower, upper } = meanStd([a, b]);
    expect(mean).toEqual([
      [0, 2],
      [10, 4],
    ]);
    expect(upper[0]![1]! - mean[0]![1]!).toBeCloseTo(Math.SQRT2, 10);
    expect(lower[1]![1]).toBeCloseTo(4 - Math.SQRT2, 10);
  });

  it('smooths with a debiased EMA that starts at the first value', () => {
    expect(
      smoothEma(
        [
          [0, 10],
          [1, 10],
          [2, null],
        ],
        0.9,
      ),
    ).toEqual([
      [0, 10],
      [1, 10],
      [2, null],
    ]);
    const s = smoothEma(
      [
        [0, 0],
        [1, 10],
      ],
      0.5,
    );
    expect(s[1]![1]).toBeCloseTo((10 * 0.5) / (1 - 0.25), 10);
  });
});
