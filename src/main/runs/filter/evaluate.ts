// Turns a parsed filter into a predicate over table rows, checking every field name against what
// the runs actually have, so a typo is an error at its position rather than an empty table.
import { EngineError } from '../../errors';
import type { Filter } from './parse';

export interface TableRow {
  id: string;
  name: string;
  projectId: string;
  projectName: string;
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
  ['name', (r) => r.name],
  ['project', (r) => r.projectName],
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

/** Where a field name was written, for errors: a filter (with its position) or a sort key. */
export interface FieldPlace {
  /** Starts the error sentence, e.g. 'Filter error at position 5' or 'Cannot sort by "lss.min"'. */
  label: string;
  position?: number;
}

/** The values a field can take, where they are a closed set (status, recipe, host, project, an enum or boolean parameter). */
export interface ClosedSet {
  /** The field in the user's words, e.g. "status" or "parameter method". */
  what: string;
  values: string[];
}

export interface KnownNames {
  params: Set<string>;
  metrics: Set<string>;
  /** By field key: a run field's name ("status") or "params.NAME". */
  closed?: Map<string, ClosedSet>;
}

/** A field resolved: how to read it, and its key ("status", "params.lr", "loss.min") for its closed set of values. */
interface Field {
  key: string;
  get: Getter;
}

function resolveField(path: string[], known: KnownNames, place: FieldPlace): Field {
  const [head, ...rest] = path;
  const runField = rest.length === 0 ? RUN_FIELDS.get(head!) : undefined;
  if (runField) return { key: head!, get: runField };
  if (head === 'params' && rest.length > 0) {
    const name = rest.join('.');
    if (!known.params.has(name)) throw unknown(`parameter "${name}"`, place, known);
    return { key: `params.${name}`, get: (r) => ownValue(r.params, name) };
  }
  const stat = path[path.length - 1]!;
  const metric = path.slice(0, -1).join('.');
  if (path.length >= 2 && STATS.has(stat) && known.metrics.has(metric)) return { key: path.join('.'), get: (r) => ownValue(r.summaries, metric)?.[stat as 'min'] };
  const whole = path.join('.');
  if (known.params.has(whole)) return { key: `params.${whole}`, get: (r) => ownValue(r.params, whole) };
  if (known.metrics.has(whole)) throw placeError(place, `say which value of ${whole}: ${whole}.min, ${whole}.max or ${whole}.last.`);
  throw unknown(`field, parameter or metric "${whole}"`, place, known);
}

/** How to read a field (run field, metric summary, or parameter), or an error saying what exists. */
export function fieldGetter(path: string[], known: KnownNames, place: FieldPlace): Getter {
  return resolveField(path, known, place).get;
}

/** Edit distance, to suggest the allowed value a typo was meant to be. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}

/** The allowed value a typo most likely meant: a close spelling, or the only one that starts the same way ("sucessful"). */
function likelyMeant(text: string, values: string[]): number | undefined {
  const prefix = (v: string) => {
    let n = 0;
    while (n < v.length && n < text.length && v[n] === text[n]) n++;
    return n;
  };
  const byPrefix = values.map((v, i) => ({ i, n: prefix(v) })).sort((a, b) => b.n - a.n);
  if (byPrefix[0] && byPrefix[0].n >= 3 && byPrefix[1]?.n !== byPrefix[0].n) return byPrefix[0].i;
  const nearest = values.map((v, i) => ({ i, d: distance(text, v) })).sort((a, b) => a.d - b.d)[0];
  return nearest && nearest.d <= Math.max(2, Math.floor(text.length / 3)) ? nearest.i : undefined;
}

/**
 * A value compared with = or != must be one the field can take, and text after ~ must be part of one:
 * `status = sucessful` would match no run (or, with !=, every run) and look like an answer.
 */
function checkClosedValue(closed: ClosedSet, op: string, value: string | number, place: FieldPlace): void {
  if (op !== '=' && op !== '!=' && op !== '~') return;
  const text = String(value).toLowerCase();
  const values = closed.values.map((v) => v.toLowerCase());
  if (op === '~' ? values.some((v) => v.includes(text)) : values.includes(text)) return;
  const meant = likelyMeant(text, values);
  const hint = meant !== undefined ? ` Did you mean "${closed.values[meant]}"?` : '';
  const listed = closed.values.length > 30 ? `${closed.values.slice(0, 30).join(', ')} and ${closed.values.length - 30} more` : closed.values.join(', ');
  const sentence = op === '~' ? `no ${closed.what} contains "${String(value)}".` : `"${String(value)}" is not a ${closed.what}.`;
  throw placeError(place, `${sentence}${hint} The ${closed.what} is one of: ${listed}.`);
}

function placeError(place: FieldPlace, sentence: string): EngineError {
  return new EngineError('VALIDATION_FAILED', `${place.label}: ${sentence}`, place.position !== undefined ? { position: place.position } : undefined);
}

function unknown(what: string, place: FieldPlace, known: KnownNames): EngineError {
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

export function compileFilter(filter: Filter | null, known: KnownNames): (r: TableRow) => boolean {
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
      const { key, get } = resolveField(filter.field, known, { label: `Filter error at position ${filter.at + 1}`, position: filter.at + 1 });
      const closed = known.closed?.get(key);
      if (closed) checkClosedValue(closed, filter.op, filter.value, { label: `Filter error at position ${filter.valueAt + 1}`, position: filter.valueAt + 1 });
      return (row) => compare(get(row), filter.op, filter.value);
    }
  }
}
