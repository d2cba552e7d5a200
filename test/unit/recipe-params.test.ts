// The recipe description a form is built from says which parameters are whole numbers and what bounds
// each number has, so the form can say "Steps must be a whole number between 1 and 1000000" itself.
import { describe, expect, it } from 'vitest';
import { describeRecipes } from '../../src/main/recipes';

const param = (recipe: string, name: string) =>
  describeRecipes()
    .find((r) => r.name === recipe)!
    .params.find((p) => p.name === name)!;

describe('recipe parameters as described to the forms', () => {
  it('tells whole-number parameters apart from other numbers, in every recipe', () => {
    expect(param('demo-lora-stdlib', 'steps')).toMatchObject({ type: 'integer', min: 1, max: 1_000_000, default: 200 });
    expect(param('demo-lora-torch', 'steps')).toMatchObject({ type: 'integer', min: 1, max: 1_000_000 });
    expect(param('demo-lora-torch', 'rank')).toMatchObject({ type: 'integer', min: 1, max: 256 });
    expect(param('hf-sft', 'max_steps')).toMatchObject({ type: 'integer', min: -1, max: null });
    expect(param('axolotl', 'seed')).toMatchObject({ type: 'integer', min: 0, max: null });
    expect(param('demo-lora-stdlib', 'lr')).toMatchObject({ type: 'number', min: 0, minExclusive: true, max: 100 });
    expect(param('demo-lora-stdlib', 'lr').maxExclusive).toBeUndefined();
    expect(param('hf-sft', 'warmup_ratio')).toMatchObject({ type: 'number', min: 0, max: 1 });
  });

  it('gives no bounds to parameters that are not numbers, and keeps their types', () => {
    expect(param('hf-sft', 'method')).toEqual({ name: 'method', type: 'full|lora|qlora', default: 'lora', help: expect.any(String) });
    expect(param('hf-sft', 'bf16')).toMatchObject({ type: 'boolean', default: true });
    expect(param('hf-sft', 'bf16').min).toBeUndefined();
    expect(param('custom', 'command')).toMatchObject({ type: 'string' });
  });

  it('every integer described is one the recipe itself refuses as a fraction, and every bound is one it enforces', async () => {
    const { RECIPES } = await import('../../src/main/recipes');
    for (const r of describeRecipes()) {
      const schema = RECIPES.find((x) => x.name === r.name)!.params as unknown as { shape: Record<string, { safeParse(v: unknown): { success: boolean } }> };
      for (const p of r.params) {
        const s = schema.shape[p.name]!;
        if (p.type === 'integer') expect(s.safeParse(((p.min ?? 0) + 0.5).toString()).success, `${r.name}.${p.name}`).toBe(false);
        if (typeof p.min === 'number') expect(s.safeParse(String(p.min - 1)).success, `${r.name}.${p.name} below min`).toBe(false);
        if (typeof p.max === 'number') expect(s.safeParse(String(p.max + 1)).success, `${r.name}.${p.name} above max`).toBe(false);
        if (typeof p.min === 'number' && !p.minExclusive) expect(s.safeParse(String(p.min)).success, `${r.name}.${p.name} at min`).toBe(true);
      }
    }
  });
});
