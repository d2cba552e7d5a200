// The runs table's columns: what each shows and sorts by, the groups the column picker offers, and the
// default set (the fields and parameters that differ among the runs shown, so no column is all dashes).
import type { Objective } from '../../../shared/domain/project';
import type { RunsTableResult, TableRowOut } from '../../../shared/domain/runs-table';
import { own } from '../../../shared/own';
import { formatShortTime } from '../../format';

export type ColumnGroup = 'Fields' | 'Metrics' | 'Parameters';

export interface Column {
  /** The key the engine sorts by: a run field, params.NAME, or METRIC.min|max|last. */
  key: string;
  label: string;
  group: ColumnGroup;
  sortable: boolean;
  numeric: boolean;
  /** The cell's text (tags and notes draw their own editors). */
  value: (r: TableRowOut) => string;
}

const fmt = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)))) : String(v));

const FIELDS: Column[] = (
  [
    { key: 'status', label: 'Status', value: (r) => r.status.toLowerCase() },
    { key: 'project', label: 'Project', value: (r) => r.projectName },
    { key: 'recipe', label: 'Recipe', value: (r) => r.recipe },
    { key: 'host', label: 'Host', value: (r) => r.hostName },
    { key: 'created', label: 'Started', value: (r) => formatShortTime(r.createdAt) },
    { key: 'exit_code', label: 'Exit code', numeric: true, value: (r) => fmt(r.exitCode) },
    { key: 'tags', label: 'Tags', sortable: false, value: (r) => r.tags.join(', ') },
    { key: 'notes', label: 'Notes', value: (r) => r.notes },
  ] as (Pick<Column, 'key' | 'label' | 'value'> & Partial<Column>)[]
).map((c) => ({ group: 'Fields' as const, sortable: true, numeric: false, ...c }));

const STATS = ['min', 'max', 'last'] as const;

/** Every column the runs offer, by group: fields, metric summaries, parameters. */
export function allColumns(meta: Pick<RunsTableResult, 'params' | 'metrics'>): Column[] {
  const metrics = meta.metrics.flatMap((m) =>
    STATS.map((stat): Column => ({ key: `${m}.${stat}`, label: `${m}.${stat}`, group: 'Metrics', sortable: true, numeric: true, value: (r) => fmt(own(r.summaries, m)?.[stat]) })),
  );
  const params = meta.params.map((p): Column => ({ key: `params.${p}`, label: p, group: 'Parameters', sortable: true, numeric: true, value: (r) => fmt(own(r.params, p)) }));
  return [...FIELDS, ...metrics, ...params];
}

/** Where a key names no column the runs have (a link from another data directory): shown as dashes, not dropped. */
export function columnFor(key: string, all: Column[]): Column {
  return all.find((c) => c.key === key) ?? { key, label: key.replace(/^params\./, ''), group: 'Parameters', sortable: false, numeric: true, value: () => '—' };
}

/** At most this many parameters among the default columns (fewer where the table's width does not fit them). */
const DEFAULT_PARAMS = 4;

/**
 * The default columns for the runs shown: status, the fields that differ (recipe, host; project in "All
 * projects"), the project's objective (or eval_loss and loss), the parameters that differ, when, tags, notes.
 */
export function defaultColumns(meta: Pick<RunsTableResult, 'metrics' | 'varies'>, context: { allProjects: boolean; objective: Objective | undefined }): string[] {
  const objective = context.objective && meta.metrics.includes(context.objective.metric) ? [`${context.objective.metric}.${context.objective.goal === 'maximize' ? 'max' : 'min'}`] : [];
  const usual = ['eval_loss', 'loss'].filter((m) => meta.metrics.includes(m)).map((m) => `${m}.min`);
  const metrics = [...new Set([...objective, ...usual])].slice(0, 2);
  return [
    ...(context.allProjects ? ['project'] : []),
    'status',
    ...meta.varies.filter((k) => k === 'recipe' || k === 'host'),
    ...metrics,
    ...meta.varies.filter((k) => k.startsWith('params.')).slice(0, DEFAULT_PARAMS),
    'created',
    'tags',
    'notes',
  ];
}

// Rough widths in pixels (header letters are capitals, cells are 13-14 px text with 10 px padding each
// side), enough to tell whether a set of columns fits without scrolling sideways.
const FIXED_WIDTH: Record<string, number> = { status: 112, created: 122, tags: 64, notes: 74 };

/** The select box and the run's name (ellipsized past 220 px) with its id and pencil. */
function runColumnsWidth(rows: TableRowOut[]): number {
  const longest = Math.max(10, ...rows.slice(0, 100).map((r) => r.name.length));
  return 36 + Math.min(220, longest * 8.5) + 100;
}

/** Tag chips a row shows before "+k" (see TagsCell). */
export const TAGS_SHOWN = 2;

/** The tags cell: up to TAGS_SHOWN chips (11 px text) then "+k", within 180 px (see TagsCell and runs-table.css). */
function tagsWidth(rows: TableRowOut[]): number {
  const chips = (tags: string[]) => tags.slice(0, TAGS_SHOWN).reduce((w, t) => w + Math.min(96, t.length * 7 + 16) + 4, 0) + (tags.length > TAGS_SHOWN ? 34 : 0);
  return Math.max(FIXED_WIDTH.tags!, 28 + Math.min(180, Math.max(0, ...rows.slice(0, 100).map((r) => chips(r.tags)))));
}

/** The notes cell shows their first 120 px. */
function notesWidth(rows: TableRowOut[]): number {
  return Math.max(FIXED_WIDTH.notes!, 28 + Math.min(120, Math.max(0, ...rows.slice(0, 100).map((r) => r.notes.length * 7.5))));
}

function estimatedWidth(c: Column, rows: TableRowOut[]): number {
  if (c.key === 'tags') return tagsWidth(rows);
  if (c.key === 'notes') return notesWidth(rows);
  const fixed = FIXED_WIDTH[c.key];
  if (fixed) return fixed;
  const longest = Math.max(c.label.length * 8, ...rows.slice(0, 100).map((r) => c.value(r).length * 8));
  return Math.min(280, Math.ceil(longest) + 20);
}

/**
 * The default columns trimmed to the table's width, so they never make the table scroll sideways where
 * they can fit. Status, the first metric, when, tags and notes always stay (each cell's width is bounded);
 * the others join, most wanted first, each where it still fits: the first parameter that varies and fits,
 * the second metric, recipe, host, then the other parameters. A wide parameter (a hub id) is passed over
 * for narrower ones after it rather than ending the list.
 */
export function fitColumns(keys: string[], all: Column[], rows: TableRowOut[], width: number): string[] {
  const widths = new Map(keys.map((k) => [k, estimatedWidth(columnFor(k, all), rows)]));
  const params = keys.filter((k) => k.startsWith('params.'));
  const secondMetrics = keys.filter((k) => /\.(min|max)$/.test(k)).slice(1);
  const optional = [...secondMetrics, 'recipe', 'host', ...params].filter((k) => keys.includes(k));
  const kept = new Set(keys.filter((k) => !optional.includes(k)));
  let total = runColumnsWidth(rows) + [...kept].reduce((sum, k) => sum + widths.get(k)!, 0);
  const add = (k: string) => {
    if (kept.has(k) || total + widths.get(k)! > width) return false;
    kept.add(k);
    total += widths.get(k)!;
    return true;
  };
  params.some(add); // one parameter that varies first: what tells these runs apart
  optional.forEach(add);
  return keys.filter((k) => kept.has(k));
}
