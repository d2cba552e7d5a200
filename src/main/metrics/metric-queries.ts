// Metric reads for the UI and CLI: series summaries, and window queries by run and metric name.
import type Database from 'better-sqlite3';
import type { SeriesSummary, WindowResult } from '../../shared/domain/metrics';
import { EngineError } from '../errors';
import type { WindowQueries, XAxis } from './window-query';

export class MetricQueries {
  private readonly stmts;

  constructor(
    db: Database.Database,
    private readonly windows: WindowQueries,
  ) {
    this.stmts = {
      series: db.prepare<[string], SeriesSummary>(
        'SELECT name, stream, kind, points, min, min_step AS minStep, max, max_step AS maxStep, last, last_step AS lastStep FROM metric_series WHERE run_id = ? ORDER BY stream, name',
      ),
      find: db.prepare<[string, string, string], { id: number }>('SELECT id FROM metric_series WHERE run_id = ? AND stream = ? AND name = ?'),
    };
  }

  series(runId: string): SeriesSummary[] {
    return this.stmts.series.all(runId);
  }

  window(runId: string, q: { name: string; stream?: 'metrics' | 'sys'; x?: XAxis; from?: number; to?: number; maxBuckets: number; edges?: boolean }): WindowResult {
    const stream = q.stream ?? 'metrics';
    const found = this.stmts.find.get(runId, stream, q.name);
    if (!found) {
      const known = this.series(runId).map((s) => s.name);
      throw new EngineError('VALIDATION_FAILED', `This run has no metric "${q.name.slice(0, 100)}"${known.length ? `. It has: ${known.slice(0, 20).join(', ')}` : ' (it has logged no metrics yet)'}.`);
    }
    if (q.from !== undefined && q.to !== undefined && q.from > q.to) throw new EngineError('VALIDATION_FAILED', `The window starts (${q.from}) after it ends (${q.to}).`);
    return this.windows.run({
      seriesId: found.id,
      x: q.x ?? 'step',
      ...(q.from !== undefined ? { from: q.from } : {}),
      ...(q.to !== undefined ? { to: q.to } : {}),
      maxBuckets: q.maxBuckets,
      ...(q.edges ? { edges: true } : {}),
    });
  }
}
