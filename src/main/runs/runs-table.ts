// The runs table: every run of a project (or all) with its parameters, tags and metric summaries,
// filtered by the filter language and sorted, a page at a time. Built for 10,000 runs in well under 100 ms.
import type Database from 'better-sqlite3';
import { RunStatus } from '../../shared/domain/run';
import type { RunsTableResult, TableRowOut } from '../../shared/domain/runs-table';
import { EngineError } from '../errors';
import { describeRecipes } from '../recipes';
import { compileFilter, fieldGetter, ownValue, type ClosedSet, type TableRow } from './filter/evaluate';
import { parseFilter } from './filter/parse';

interface Row {
  id: string;
  name: string;
  project_id: string;
  project_name: string;
  status: string;
  recipe: string;
  host_name: string;
  created_at: number;
  ended_at: number | null;
  exit_code: number | null;
  disconnected: number;
  params: string;
  tags: string;
  notes: string;
}

export interface TableQuery {
  projectId?: string | undefined;
  filter?: string | undefined;
  /** Only these runs (the compare page's, by id). */
  ids?: string[] | undefined;
  sort?: { key: string; dir: 'asc' | 'desc' } | undefined;
  offset?: number | undefined;
  limit?: number | undefined;
}

type LoadedRow = TableRow & { endedAt: number | null; disconnected: boolean };
interface Loaded {
  key: string;
  rows: LoadedRow[];
  params: Set<string>;
  metrics: Set<string>;
  closed: Map<string, ClosedSet>;
}

/** Fields a column can show that differ from run to run only in some tables; parameters are added by name. */
const VARYING_FIELDS: [string, (r: TableRow) => unknown][] = [
  ['project', (r) => r.projectName],
  ['recipe', (r) => r.recipe],
  ['host', (r) => r.hostName],
];

export class RunsTable {
  /** The parsed rows of the last load, reused while the database has not changed: typing a filter costs filter and sort only. */
  private cache: Loaded | undefined;

  private readonly totalChanges;

  constructor(private readonly db: Database.Database) {
    this.totalChanges = db.prepare<[], { n: number }>('SELECT total_changes() AS n');
  }

  private changeKey(projectId?: string): string {
    // data_version moves when another connection commits; total_changes() when this one does.
    const dataVersion = this.db.pragma('data_version', { simple: true }) as number;
    const ownChanges = this.totalChanges.get()!.n;
    return `${dataVersion}:${ownChanges}:${projectId ?? '*'}`;
  }

  private load(projectId?: string): Loaded {
    const key = this.changeKey(projectId);
    if (this.cache?.key === key) return this.cache;
    const rows = this.loadFresh(projectId);
    // The names a filter or sort may use, and the table offers as columns.
    const params = new Set<string>();
    const metrics = new Set<string>();
    for (const r of rows) {
      for (const k of Object.keys(r.params)) params.add(k);
      for (const k of Object.keys(r.summaries)) metrics.add(k);
    }
    this.cache = { key, rows, params, metrics, closed: this.closedSets(rows) };
    return this.cache;
  }

  /**
   * The fields whose values are a closed set, so a filter can say a value is a typo rather than match
   * nothing: status, recipe, host, project, and parameters that are booleans or a recipe's choice.
   */
  private closedSets(rows: LoadedRow[]): Map<string, ClosedSet> {
    const names = (sql: string) => (this.db.prepare(sql).raw(true).all() as [string][]).map(([n]) => n);
    const union = (...lists: string[][]) => [...new Set(lists.flat())];
    const closed = new Map<string, ClosedSet>([
      ['status', { what: 'status', values: RunStatus.options.map((s) => s.toLowerCase()) }],
      [
        'recipe',
        {
          what: 'recipe',
          values: union(
            describeRecipes().map((r) => r.name),
            rows.map((r) => r.recipe),
          ),
        },
      ],
      [
        'host',
        {
          what: 'host',
          values: union(
            names('SELECT name FROM hosts ORDER BY name'),
            rows.map((r) => r.hostName),
          ),
        },
      ],
      ['project', { what: 'project', values: union(names('SELECT name FROM projects ORDER BY name')) }],
    ]);
    // A parameter is a closed set when every recipe that has it offers a choice ("full|lora|qlora", boolean)
    // and every run's value is a boolean or a string; values runs have are always allowed.
    const choices = new Map<string, string[] | null>();
    for (const recipe of describeRecipes()) {
      for (const p of recipe.params) {
        const offered = p.type === 'boolean' ? ['true', 'false'] : p.type.includes('|') ? p.type.split('|') : null;
        const before = choices.get(p.name);
        choices.set(p.name, before === null || (before !== undefined && offered === null) ? null : union(before ?? [], offered ?? []));
      }
    }
    const seen = new Map<string, Set<string> | null>();
    for (const r of rows) {
      for (const [name, v] of Object.entries(r.params)) {
        const values = seen.get(name);
        if (values === null) continue;
        if (typeof v === 'boolean' || (typeof v === 'string' && choices.get(name))) (values ?? seen.set(name, new Set()).get(name)!).add(String(v));
        else seen.set(name, null);
      }
    }
    for (const [name, values] of seen) {
      if (!values) continue;
      const offered = choices.get(name);
      const booleans = [...values].every((v) => v === 'true' || v === 'false');
      if (offered === null || (offered === undefined && !booleans)) continue;
      closed.set(`params.${name}`, { what: `value of ${name}`, values: union(offered ?? ['true', 'false'], [...values]) });
    }
    return closed;
  }

  private loadFresh(projectId?: string): LoadedRow[] {
    // Test runs (kind 'test') have their own pages: the runs table shows training runs.
    const where = projectId ? "WHERE r.project_id = ? AND r.kind = 'train'" : "WHERE r.kind = 'train'";
    const args = projectId ? [projectId] : [];
    const rows = this.db
      .prepare(
        `SELECT r.id, r.name, r.project_id, p.name AS project_name, r.status, r.recipe, h.name AS host_name, r.created_at, r.ended_at, r.exit_code, r.disconnected, r.params, r.tags, r.notes
         FROM runs r JOIN hosts h ON h.id = r.host_id JOIN projects p ON p.id = r.project_id ${where}`,
      )
      .all(...args) as Row[];
    const summaries = new Map<string, TableRow['summaries']>();
    const series = this.db
      .prepare(`SELECT s.run_id, s.name, s.min, s.max, s.last FROM metric_series s ${projectId ? 'JOIN runs r ON r.id = s.run_id WHERE r.project_id = ? AND' : 'WHERE'} s.stream = 'metrics'`)
      .raw(true)
      .all(...args) as [string, string, number | null, number | null, number | null][];
    for (const [runId, name, min, max, last] of series) {
      let m = summaries.get(runId);
      // No prototype: a metric named "__proto__" would otherwise set it instead of being kept.
      if (!m) summaries.set(runId, (m = Object.create(null) as TableRow['summaries']));
      m[name] = { min, max, last };
    }
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      projectId: r.project_id,
      projectName: r.project_name,
      status: r.status,
      recipe: r.recipe,
      hostName: r.host_name,
      createdAt: r.created_at,
      endedAt: r.ended_at,
      exitCode: r.exit_code,
      disconnected: r.disconnected === 1,
      params: JSON.parse(r.params) as Record<string, unknown>,
      tags: JSON.parse(r.tags) as string[],
      notes: r.notes,
      summaries: summaries.get(r.id) ?? {},
    }));
  }

  query(q: TableQuery): RunsTableResult {
    const { rows: all, params, metrics, closed } = this.load(q.projectId);
    const known = { params, metrics, closed };
    const keep = compileFilter(parseFilter(q.filter ?? ''), known);
    const wanted = q.ids ? new Set(q.ids) : undefined;
    const matched = all.filter((r) => (!wanted || wanted.has(r.id)) && keep(r));
    const sortKey = q.sort?.key ?? 'created';
    const get = fieldGetter(sortKey.split('.'), known, { label: `Cannot sort by "${sortKey.slice(0, 100)}"` });
    const dir = (q.sort?.dir ?? 'desc') === 'asc' ? 1 : -1;
    const keyed = matched.map((r) => ({ r, k: get(r) }));
    keyed.sort((a, b) => {
      // Runs without the value go last, whichever the direction.
      if (a.k === undefined || a.k === null) return b.k === undefined || b.k === null ? 0 : 1;
      if (b.k === undefined || b.k === null) return -1;
      if (typeof a.k === 'number' && typeof b.k === 'number') return (a.k - b.k) * dir;
      return String(a.k).localeCompare(String(b.k)) * dir;
    });
    const offset = q.offset ?? 0;
    const limit = q.limit ?? 200;
    const rows = keyed.slice(offset, offset + limit).map(({ r }) => r) as TableRowOut[];
    return { total: all.length, matched: matched.length, rows, params: [...params].sort(), metrics: [...metrics].sort(), varies: varyingColumns(matched) };
  }

  /** Sets a run's name, tags and notes; returns what is stored now (tags trimmed, empty ones dropped, each once). */
  annotate(id: string, change: { name?: string | undefined; tags?: string[] | undefined; notes?: string | undefined }): { id: string; name: string; tags: string[]; notes: string } {
    if (change.name !== undefined) {
      const name = change.name.trim();
      if (!name) throw new EngineError('VALIDATION_FAILED', "A run's name cannot be empty: give it a name, e.g. `tunebench run rename RUN warmup-test`.");
      this.db.prepare('UPDATE runs SET name = ? WHERE id = ?').run(name, id);
    }
    if (change.tags) this.db.prepare('UPDATE runs SET tags = ? WHERE id = ?').run(JSON.stringify([...new Set(change.tags.map((t) => t.trim()).filter(Boolean))]), id);
    if (change.notes !== undefined) this.db.prepare('UPDATE runs SET notes = ? WHERE id = ?').run(change.notes, id);
    const row = this.db.prepare<[string], { name: string; tags: string; notes: string }>('SELECT name, tags, notes FROM runs WHERE id = ?').get(id)!;
    return { id, name: row.name, tags: JSON.parse(row.tags) as string[], notes: row.notes };
  }
}

/**
 * The columns worth showing by default for these runs: fields and parameters that at least half of them
 * have and that differ among them (a column of one value, or of dashes, says nothing), most common first.
 */
function varyingColumns(rows: TableRow[]): string[] {
  const out: { key: string; present: number }[] = [];
  const consider = (key: string, get: (r: TableRow) => unknown) => {
    let present = 0;
    const distinct = new Set<string>();
    for (const r of rows) {
      const v = get(r);
      if (v === undefined || v === null || v === '') continue;
      present++;
      if (distinct.size < 2) distinct.add(JSON.stringify(v));
    }
    if (distinct.size >= 2 && present * 2 >= rows.length) out.push({ key, present });
  };
  for (const [key, get] of VARYING_FIELDS) consider(key, get);
  const names = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.params)) names.add(k);
  for (const name of [...names].sort()) consider(`params.${name}`, (r) => ownValue(r.params, name));
  return out.sort((a, b) => b.present - a.present).map((c) => c.key);
}
