// Every recipe the launcher knows, by name.
import type { RecipeInfo } from '../../shared/domain/run';
import { EngineError } from '../errors';
import { axolotl } from './axolotl';
import { custom } from './custom';
import { demoLoraStdlib } from './demo-lora-stdlib';
import { demoLoraTorch } from './demo-lora-torch';
import { hfSft } from './hf-sft';
import { torchtune } from './torchtune';
import type { Recipe } from './recipe';

const all = [demoLoraStdlib, demoLoraTorch, hfSft, axolotl, torchtune, custom];
export const RECIPES: readonly Recipe[] = all as unknown as Recipe[];

export function getRecipe(name: string): Recipe {
  const recipe = RECIPES.find((r) => r.name === name);
  if (!recipe) throw new EngineError('RECIPE_NOT_FOUND', `No recipe "${name.slice(0, 100)}". Known recipes: ${RECIPES.map((r) => r.name).join(', ')}.`);
  return recipe;
}

interface Def {
  type: string;
  innerType?: { def: Def };
  entries?: Record<string, string>;
  options?: { def: Def }[];
  defaultValue?: unknown;
}

/** A parameter's type in words for forms and help: number, string, boolean, or one|of|these. */
function typeName(def: Def): string {
  let d = def;
  while ((d.type === 'default' || d.type === 'optional') && d.innerType) d = d.innerType.def;
  if (d.type === 'enum' && d.entries) return Object.values(d.entries).join('|');
  if (d.type === 'union' && d.options) return d.options.some((o) => o.def.type === 'boolean') ? 'boolean' : typeName(d.options[0]!.def);
  return d.type;
}

export function describeRecipes(): RecipeInfo[] {
  return RECIPES.map((r) => {
    const shape = (r.params as unknown as { shape: Record<string, { def: Def }> }).shape;
    return {
      name: r.name,
      summary: r.summary,
      needs: r.needs,
      requires: { python: r.requires?.python ?? null, packages: r.requires?.packages ?? [] },
      params: Object.entries(shape).map(([name, s]) => ({
        name,
        type: typeName(s.def),
        default: s.def.type === 'default' ? (s.def.defaultValue ?? null) : null,
        help: r.help[name] ?? '',
      })),
    };
  });
}
