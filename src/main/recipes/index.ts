// Every recipe the launcher knows, by name.
import type { RecipeInfo } from '../../shared/domain/run';
import { EngineError } from '../errors';
import { custom } from './custom';
import { demoLoraStdlib } from './demo-lora-stdlib';
import type { Recipe } from './recipe';

export const RECIPES: readonly Recipe[] = [demoLoraStdlib as unknown as Recipe, custom as unknown as Recipe];

export function getRecipe(name: string): Recipe {
  const recipe = RECIPES.find((r) => r.name === name);
  if (!recipe) throw new EngineError('RECIPE_NOT_FOUND', `No recipe "${name.slice(0, 100)}". Known recipes: ${RECIPES.map((r) => r.name).join(', ')}.`);
  return recipe;
}

export function describeRecipes(): RecipeInfo[] {
  return RECIPES.map((r) => {
    const shape = (r.params as unknown as { shape: Record<string, { def?: { defaultValue?: unknown; type?: string } }> }).shape;
    return {
      name: r.name,
      summary: r.summary,
      needs: r.needs,
      params: Object.entries(shape).map(([name, s]) => ({
        name,
        type: s.def?.type === 'default' ? 'number' : String(s.def?.type ?? 'string'),
        default: s.def?.defaultValue ?? null,
        help: r.help[name] ?? '',
      })),
    };
  });
}
