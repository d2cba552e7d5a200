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

interface Check {
  _zod: { def: { check: string; format?: string; value?: unknown; inclusive?: boolean } };
}

interface Def {
  type: string;
  innerType?: { def: Def };
  entries?: Record<string, string>;
  options?: { def: Def }[];
  defaultValue?: unknown;
  /** A number's own checks (int, min, max); `z.int()` carries its format on the def itself. */
  checks?: Check[];
  check?: string;
  format?: string;
}

/** The schema under default/optional/nullable wrappers: what the value itself must be. */
function unwrap(def: Def): Def {
  let d = def;
  while ((d.type === 'default' || d.type === 'optional' || d.type === 'nullable' || d.type === 'prefault') && d.innerType) d = d.innerType.def;
  return d;
}

const INTEGER_FORMATS = new Set(['safeint', 'int32', 'uint32', 'int64', 'uint64']);

/** A number's rule: whole or not, and its bounds (a bound set twice keeps the tighter one). */
function numberRule(d: Def): { integer: boolean; min: number | null; max: number | null; minExclusive: boolean; maxExclusive: boolean } {
  const rule = { integer: d.check === 'number_format' && INTEGER_FORMATS.has(d.format ?? ''), min: null as number | null, max: null as number | null, minExclusive: false, maxExclusive: false };
  for (const c of d.checks ?? []) {
    const { check, format, value, inclusive } = c._zod.def;
    if (check === 'number_format' && INTEGER_FORMATS.has(format ?? '')) rule.integer = true;
    if (typeof value !== 'number') continue;
    if (check === 'greater_than' && (rule.min === null || value > rule.min || (value === rule.min && !inclusive))) Object.assign(rule, { min: value, minExclusive: !inclusive });
    if (check === 'less_than' && (rule.max === null || value < rule.max || (value === rule.max && !inclusive))) Object.assign(rule, { max: value, maxExclusive: !inclusive });
  }
  return rule;
}

/** A parameter's type in words for forms and help: number, integer, string, boolean, or one|of|these. */
function typeName(def: Def): string {
  const d = unwrap(def);
  if (d.type === 'enum' && d.entries) return Object.values(d.entries).join('|');
  if (d.type === 'union' && d.options) return d.options.some((o) => o.def.type === 'boolean') ? 'boolean' : typeName(d.options[0]!.def);
  if (d.type === 'number' && numberRule(d).integer) return 'integer';
  return d.type;
}

/** A number parameter's bounds for the form's sentence ("a whole number between 1 and 1000000"); nothing for other types. */
function bounds(def: Def): Pick<RecipeInfo['params'][number], 'min' | 'max' | 'minExclusive' | 'maxExclusive'> {
  const d = unwrap(def);
  if (d.type !== 'number') return {};
  const { min, max, minExclusive, maxExclusive } = numberRule(d);
  return { min, max, ...(minExclusive ? { minExclusive } : {}), ...(maxExclusive ? { maxExclusive } : {}) };
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
        ...bounds(s.def),
      })),
    };
  });
}
