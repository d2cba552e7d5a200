// Drawing a sweep's trials from its search space, and checking them against the recipe.
import { describe, expect, it } from 'vitest';
import { SweepSpec } from '../../src/shared/domain/sweep';
import { checkAgainstRecipe, trialParams } from '../../src/main/sweeps/space';
import { getRecipe } from '../../src/main/recipes';
import { spearman } from '../../src/renderer/features/sweeps/sweep-analysis';

const spec = (over: Record<string, unknown>) => SweepSpec.parse({ project: 'p', host: 'h', recipe: 'demo-lora-stdlib', method: { name: 'random' }, trials: 200, ...over });
const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'OK';
  } catch (err) {
    return `${(err as { code?: string }).code}: ${(err as Error).message}`;
  }
};

describe('a sweep search space', () => {
  it('enumerates a grid as the product of its lists, in order, up to the trial budget', () => {
    const s = spec({ method: { name: 'grid' }, trials: undefined, params: { lr: { choice: [1, 2] }, rank: { int: [4, 6] }, steps: 50 } });
    expect(trialParams(s, 'f', 0)).toEqual([
      { lr: 1, rank: 4, steps: 50 },
      { lr: 1, rank: 5, steps: 50 },
      { lr: 1, rank: 6, steps: 50 },
      { lr: 2, rank: 4, steps: 50 },
      { lr: 2, rank: 5, steps: 50 },
      { lr: 2, rank: 6, steps: 50 },
    ]);
    expect(trialParams({ ...s, trials: 4 }, 'f', 0)).toHaveLength(4);
    expect(codeOf(() => trialParams(spec({ method: { name: 'grid' }, params: { lr: { uniform: [0, 1] } } }), 'g.yaml', 0))).toMatch(/^SWEEP_INVALID: g.yaml: params.lr: a grid needs a list of values/);
  });

  it('draws the same trials from the same seed, inside every range (ends of an int range included)', () => {
    const s = spec({ params: { lr: { loguniform: [0.001, 10] }, x: { uniform: [-1, 1] }, rank: { int: [1, 3] }, opt: { choice: ['adam', 'sgd'] }, steps: 10 } });
    const a = trialParams(s, 'f', 42);
    expect(trialParams(s, 'f', 42)).toEqual(a);
    expect(trialParams(s, 'f', 43)).not.toEqual(a);
    for (const t of a) {
      expect(t.lr as number).toBeGreaterThanOrEqual(0.001);
      expect(t.lr as number).toBeLessThanOrEqual(10);
      expect(t.x as number).toBeGreaterThanOrEqual(-1);
      expect(t.x as number).toBeLessThanOrEqual(1);
      expect(Number.isInteger(t.rank)).toBe(true);
      expect(t.steps).toBe(10);
    }
    expect(new Set(a.map((t) => t.rank))).toEqual(new Set([1, 2, 3]));
    expect(new Set(a.map((t) => t.opt))).toEqual(new Set(['adam', 'sgd']));
    // Log-uniform over four decades: about half the draws fall below 0.1 (two decades of four).
    const below = a.filter((t) => (t.lr as number) < 0.1).length / a.length;
    expect(below).toBeGreaterThan(0.35);
    expect(below).toBeLessThan(0.65);
  });

  it('refuses what the recipe would refuse, naming the parameter, the trial and the value', () => {
    const recipe = getRecipe('demo-lora-stdlib');
    const s = spec({ trials: 5, params: { rank: { int: [1, 100] } } });
    expect(codeOf(() => checkAgainstRecipe(s, 's.yaml', recipe, trialParams(s, 's.yaml', 1)))).toMatch(/^SWEEP_INVALID: s.yaml: params.rank \(trial \d, value \d+\): /);
    const unknown = spec({ params: { nope: 1 } });
    expect(codeOf(() => checkAgainstRecipe(unknown, 's.yaml', recipe, trialParams(unknown, 's.yaml', 1)))).toMatch(/has no parameter "nope"/);
    const asha = spec({ trials: 2, method: { name: 'asha', min_resource: 10, max_resource: 90 }, params: { lr: { uniform: [0.5, 2] } } });
    expect(checkAgainstRecipe(asha, 'a.yaml', recipe, trialParams(asha, 'a.yaml', 1)).map((t) => t.steps)).toEqual([90, 90]);
  });

  it("ranks parameters against the objective with Spearman's rho (ties share ranks)", () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1);
    expect(spearman([1, 2, 3, 4], [1, 100, 1000, 10_000])).toBeCloseTo(1); // monotone, not linear
    expect(spearman([1, 1, 2, 2], [1, 2, 3, 4])).toBeCloseTo(0.894, 3);
    expect(Number.isNaN(spearman([1, 1, 1], [1, 2, 3]))).toBe(true);
  });
});
