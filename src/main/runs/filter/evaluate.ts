// Turns a parsed filter into a predicate over table rows, checking every field name against what
// the runs actually have, so a typo is an error at its position rather than an empty table.
import { EngineError } from '../../errors';
import type { Filter } from './parse';

export interface TableRow {
  id: string;
  status: string;
  recipe: string;
  hostName: string;
  createdAt: number;
  exitCode: number | null;
  params: Record<string, unknown>;
  tags: string[];
  notes: string;
  summaries: Record<string, { min: number | null; max: number | null; last: number | null }>;
}

export type Getter = (r: TableRow) => unknown;

// Field, parameter and metric names come from the user and from runs, so "constructor", "valueOf"
// or "__proto__" are ordinary names here: every lookup is in a Map or of an own property, never one
// that could reach Object.prototype (which matched every run, or failed as INTERNAL).
const RUN_FIELDS = new Map<string, Getter>([
  ['id', (r) => r.id],
  ['status', (r) => r.status.toLowerCase()],
  ['recipe', (r) => r.recipe],
  ['host', (r) => r.hostName],
  ['created', (r) => r.createdAt],
  ['exit_code', (r) => r.exitCode],
  ['notes', (r) => r.notes],
]);
const STATS = new Set(['min', 'max', 'last']);

/** The run's own value under `name`, or undefined when it has none. */
export function ownValue<T>(record: Record<string, T>, name: string): T | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}

/** How to read a field (run field, metric summary, or parameter), or an error saying what exists. */
/** Where a field name was written, for errors: a filter (with its position) or a sort key. */
export interface FieldPlace {
  /** Starts the error sentence, e.g. 'Filter error at position 5' or 'Cannot sort by "lss.min"'. */
  label: string;
  position?: number;
}

export function fieldGetter(path: string[], known: { params: Set<string>; metrics: Set<string> }, place: FieldPlace): Getter {
  const [head, ...rest] = path;
  const runField = rest.length === 0 ? RUN_FIELDS.get(head!) : undefined;
  if (runField) return runField;
  if (head === 'params' && rest.length > 0) {
    const name = rest.join('.');
    if (!known.params.has(name)) throw unknown(`parameter "${name}"`, place, known);
    return (r) => ownValue(r.params, name);
  }
  const stat = path[path.length - 1]!;
  const metric = path.slice(0, -1).join('.');
  if (path.length >= 2 && STATS.has(stat) && known.metrics.has(metric)) return (r) => ownValue(r.summaries, metric)?.[stat as 'min'];
  const whole = path.join('.');
  if (known.params.has(whole)) return (r) => ownValue(r.params, whole);
  if (known.metrics.has(whole)) throw placeError(place, `say which value of ${whole}: ${whole}.min, ${whole}.max or ${whole}.last.`);
  throw unknown(`field, parameter or metric "${whole}"`, place, known);
}

function placeError(place: FieldPlace, sentence: string): EngineError {
  return new EngineError('VALIDATION_FAILED', `${place.label}: ${sentence}`, place.position !== undefined ? { position: place.position } : undefined);
}

function unknown(what: string, place: FieldPlace, known: { params: Set<string>; metrics: Set<string> }): EngineError {
  const some = [...RUN_FIELDS.keys(), ...[...known.params].slice(0, 8), ...[...known.metrics].slice(0, 5).map((m) => `${m}.min`)];
  return placeError(place, `no run has a ${what}. Try one of: ${some.join(', ')}.`);
}

function compare(a: unknown, op: string, b: string | number): boolean {
  if (a === undefined || a === null) return op === '!=';
  if (op === '~') return String(a).toLowerCase().includes(String(b).toLowerCase());
  const an = typeof a === 'number' ? a : typeof a === 'string' && a.trim() !== '' && !Number.isNaN(Number(a)) ? Number(a) : undefined;
  if (typeof b === 'number' && an !== undefined) {
    switch (op) {
      case '=':
        return an === b;
      case '!=':
        return an !== b;
      case '<':
        return an < b;
      case '<=':
        return an <= b;
      case '>':
        return an > b;
      case '>=':
        return an >= b;
    }
  }
  const as = String(a).toLowerCase();
  const bs = String(b).toLowerCase();
  switch (op) {
    case '=':
      return as === bs;
    case '!=':
      return as !== bs;
    case '<':
      return as < bs;
    case '<=':
      return as <= bs;
    case '>':
      return as > bs;
    case '>=':
      return as >= bs;
  }
  return false;
}

export function compileFilter(filter: Filter | null, known: { params: Set<string>; metrics: Set<string> }): (r: TableRow) => boolean {
  if (!filter) return () => true;
  switch (filter.kind) {
    case 'and': {
      const l = compileFilter(filter.left, known);
      const r = compileFilter(filter.right, known);
      return (row) => l(row) && r(row);
    }
    case 'or': {
      const l = compileFilter(filter.left, known);
      const r = compileFilter(filter.right, known);
      return (row) => l(row) || r(row);
    }
    case 'not': {
      const inner = compileFilter(filter.inner, known);
      return (row) => !inner(row);
    }
    case 'tag': {
      const tag = filter.tag.toLowerCase();
      return (row) => row.tags.some((t) => t.toLowerCase() === tag);
    }
    case 'compare': {
      const get = fieldGetter(filter.field, known, { label: `Filter error at position ${filter.at + 1}`, position: filter.at + 1 });
      return (row) => compare(get(row), filter.op, filter.value);
    }
  }
}
