// The runs table: every run of a project (or all) with its parameters, tags and metric summaries,
// filtered by the filter language and sorted, a page at a time. Built for 10,000 runs in well under 100 ms.
import type Database from 'better-sqlite3';
import type { RunsTableResult, TableRowOut } from '../../shared/domain/runs-table';
import { compileFilter, fieldGetter, type TableRow } from './filter/evaluate';
import { parseFilter } from './filter/parse';

interface Row {
  id: string;
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
}

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
    this.cache = { key, rows, params, metrics };
    return this.cache;
  }

  private loadFresh(projectId?: string): LoadedRow[] {
    // Test runs (kind 'test') have their own pages: the runs table shows training runs.
    const where = projectId ? "WHERE r.project_id = ? AND r.kind = 'train'" : "WHERE r.kind = 'train'";
    const args = projectId ? [projectId] : [];
    const rows = this.db
      .prepare(
        `SELECT r.id, r.status, r.recipe, h.name AS host_name, r.created_at, r.ended_at, r.exit_code, r.disconnected, r.params, r.tags, r.notes FROM runs r JOIN hosts h ON h.id = r.host_id ${where}`,
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
    const { rows: all, params, metrics } = this.load(q.projectId);
    const known = { params, metrics };
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
    return { total: all.length, matched: matched.length, rows, params: [...params].sort(), metrics: [...metrics].sort() };
  }

  /** Sets a run's tags and notes; returns what is stored now (tags trimmed, empty ones dropped, each once). */
  annotate(id: string, change: { tags?: string[] | undefined; notes?: string | undefined }): { id: string; tags: string[]; notes: string } {
    if (change.tags) this.db.prepare('UPDATE runs SET tags = ? WHERE id = ?').run(JSON.stringify([...new Set(change.tags.map((t) => t.trim()).filter(Boolean))]), id);
    if (change.notes !== undefined) this.db.prepare('UPDATE runs SET notes = ? WHERE id = ?').run(change.notes, id);
    const row = this.db.prepare<[string], { tags: string; notes: string }>('SELECT tags, notes FROM runs WHERE id = ?').get(id)!;
    return { id, tags: JSON.parse(row.tags) as string[], notes: row.notes };
  }
}
