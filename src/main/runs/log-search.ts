// Full-text search of logs within a run or across a project's runs (SQLite FTS5), and a run's markers.
import type { z } from 'zod';
import type { LogHit as LogHitSchema } from '../../shared/domain/run';
import type Database from 'better-sqlite3';
import { EngineError } from '../errors';
import { isOpenTraceback, TRACEBACK_MAX_LINES, tracebackEnd, type Marker } from './markers';

type LogHit = z.infer<typeof LogHitSchema>;

/** The user's words as FTS5 phrases, so quotes, colons and operators in a query never break it. */
export function ftsQuery(q: string): string {
  // FTS5 reads its query as a C string: a NUL ends it inside a quoted phrase ("unterminated string").
  if (q.includes('\0')) throw new EngineError('LOG_QUERY_INVALID', 'A log search cannot contain a NUL character (\\0). Remove it and search again.');
  const words = q.match(/"[^"]*"|\S+/g) ?? [];
  const phrases = words
    .map((w) => w.replace(/^"|"$/g, ''))
    .filter((w) => w.length > 0)
    .map((w) => `"${w.replace(/"/g, '""')}"`);
  if (phrases.length === 0) throw new EngineError('LOG_QUERY_INVALID', 'Give some words to search for: quotes alone match nothing.');
  return phrases.join(' ');
}

export class LogSearch {
  private readonly markerRows;
  private readonly linesAfter;

  constructor(private readonly db: Database.Database) {
    this.markerRows = db.prepare<[string], Marker>('SELECT kind, line, step, detail FROM run_markers WHERE run_id = ? ORDER BY coalesce(line, 0), coalesce(step, 0), id');
    this.linesAfter = db.prepare<[string, number, number], { text: string }>('SELECT text FROM log_lines WHERE run_id = ? AND n > ? AND n <= ? ORDER BY n');
  }

  search(q: { query: string; runId?: string | undefined; projectId?: string | undefined; limit: number }): LogHit[] {
    const match = ftsQuery(q.query);
    const where = q.runId ? 'AND l.run_id = ?' : q.projectId ? 'AND l.run_id IN (SELECT id FROM runs WHERE project_id = ?)' : '';
    const args: (string | number)[] = [match, ...(q.runId ? [q.runId] : q.projectId ? [q.projectId] : []), q.limit];
    try {
      return this.db
        .prepare(`SELECT l.run_id AS runId, l.n AS n, l.text AS text FROM log_fts JOIN log_lines l ON l.rowid = log_fts.rowid WHERE log_fts MATCH ? ${where} ORDER BY l.run_id DESC, l.n LIMIT ?`)
        .all(...args) as LogHit[];
    } catch (err) {
      // The words are quoted as phrases, so FTS5 should accept any query; if its parser still
      // refuses one (plain SQLITE_ERROR, not a damaged or busy database), that is the query's fault.
      if ((err as { code?: string }).code === 'SQLITE_ERROR' && /fts5|unterminated string|syntax error|malformed MATCH/i.test((err as Error).message)) {
        throw new EngineError('LOG_QUERY_INVALID', `Cannot search for "${q.query.slice(0, 100)}" (${(err as Error).message}). Search for plain words; quotes group words into a phrase.`);
      }
      throw err;
    }
  }

  /**
   * A run's markers. A traceback stored with its header as detail (ingested before markers said the
   * exception, or whose exception line came later than ingest looked) is read on from its line here,
   * so it too says what the run died of.
   */
  markers(runId: string): Marker[] {
    return this.markerRows.all(runId).map((m) => {
      if (!isOpenTraceback(m) || m.line === null) return m;
      for (const { text } of this.linesAfter.iterate(runId, m.line, m.line + TRACEBACK_MAX_LINES)) {
        const end = tracebackEnd(m.detail, text);
        if (end !== undefined) return { ...m, detail: end };
      }
      return m;
    });
  }
}
