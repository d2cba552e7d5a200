// The trials of a sweep: its search space drawn (random, asha) or enumerated (grid) into one parameter
// set per trial, each checked against the recipe's own schema before anything runs.
import type { z } from 'zod';
import type { ParamSpace, SweepSpec } from '../../shared/domain/sweep';
import { EngineError } from '../errors';

type Value = string | number | boolean;
const isFixed = (s: ParamSpace): s is Value => typeof s !== 'object';
/** The largest grid we enumerate: more trials than anyone runs, small enough to hold. */
const MAX_GRID = 10_000;

/** mulberry32: a small seeded generator, so the same seed draws the same trials. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Six significant digits: a learning rate of 0.0031622776601683794 reads as 0.00316228 in every table. */
const tidy = (x: number) => Number(x.toPrecision(6));

function draw(space: ParamSpace, next: () => number): Value {
  if (isFixed(space)) return space;
  if ('choice' in space) return space.choice[Math.min(space.choice.length - 1, Math.floor(next() * space.choice.length))]!;
  if ('uniform' in space) return tidy(space.uniform[0] + next() * (space.uniform[1] - space.uniform[0]));
  if ('loguniform' in space) {
    const [a, b] = space.loguniform.map(Math.log) as [number, number];
    return tidy(Math.exp(a + next() * (b - a)));
  }
  return space.int[0] + Math.min(space.int[1] - space.int[0], Math.floor(next() * (space.int[1] - space.int[0] + 1)));
}

function gridValues(name: string, space: ParamSpace, fileName: string): Value[] {
  if (isFixed(space)) return [space];
  if ('choice' in space) return space.choice;
  if ('int' in space && space.int[1] - space.int[0] < MAX_GRID) return Array.from({ length: space.int[1] - space.int[0] + 1 }, (_, i) => space.int[0] + i);
  throw new EngineError('SWEEP_INVALID', `${fileName}: params.${name}: a grid needs a list of values; give it as {choice: [...]} or a small {int: [a, b]}, or use method random or asha.`);
}

/** The parameter sets of every trial, in the order they start. */
export function trialParams(spec: SweepSpec, fileName: string, seed: number): Record<string, Value>[] {
  const names = Object.keys(spec.params);
  if (spec.method.name === 'grid') {
    let grid: Record<string, Value>[] = [{}];
    for (const name of names) {
      const values = gridValues(name, spec.params[name]!, fileName);
      if (grid.length * values.length > MAX_GRID) throw new EngineError('SWEEP_INVALID', `${fileName}: the grid has over ${MAX_GRID} points. Use fewer values, or method random with a trial budget.`);
      grid = grid.flatMap((g) => values.map((v) => ({ ...g, [name]: v })));
    }
    return grid.slice(0, spec.trials ?? grid.length);
  }
  if (!spec.trials) throw new EngineError('SWEEP_INVALID', `${fileName}: method ${spec.method.name} needs a trial budget: add trials: N.`);
  const next = random(seed);
  return Array.from({ length: spec.trials }, () => Object.fromEntries(names.map((name) => [name, draw(spec.params[name]!, next)])));
}

/**
 * Checks the sweep against the recipe: every parameter is one the recipe has, every trial's set passes
 * its schema, and under ASHA measured in steps the trials train to max_resource (a recipe with a steps
 * parameter gets it when the sweep leaves it out).
 */
export function checkAgainstRecipe(spec: SweepSpec, fileName: string, recipe: { name: string; params: z.ZodType }, trials: Record<string, Value>[]): Record<string, unknown>[] {
  const shape = 'shape' in recipe.params ? Object.keys((recipe.params as unknown as { shape: Record<string, unknown> }).shape) : undefined;
  if (shape) {
    for (const name of Object.keys(spec.params)) {
      if (!shape.includes(name)) throw new EngineError('SWEEP_INVALID', `${fileName}: params.${name}: ${recipe.name} has no parameter "${name}". Its parameters: ${shape.join(', ')}.`);
    }
  }
  const method = spec.method;
  const stepped = method.name === 'asha' && method.resource === 'step' && shape?.includes('steps');
  if (stepped) {
    const steps = spec.params.steps;
    if (steps === undefined) trials = trials.map((t) => ({ ...t, steps: method.max_resource }));
    else if (typeof steps !== 'number' || steps < method.max_resource)
      throw new EngineError('SWEEP_INVALID', `${fileName}: params.steps must be a fixed number of at least max_resource (${method.max_resource}): ASHA's last rung is the end of training.`);
  }
  return trials.map((t, i) => {
    const parsed = recipe.params.safeParse(t);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length ? `params.${issue.path.join('.')}` : 'params';
      throw new EngineError(
        'SWEEP_INVALID',
        `${fileName}: ${where} (trial ${i + 1}, value ${JSON.stringify(issue.path.length ? t[String(issue.path[0])] : t)}): ${issue.message}. Change the range so every value fits ${recipe.name}.`,
      );
    }
    return parsed.data as Record<string, unknown>;
  });
}
