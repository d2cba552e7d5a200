// Where a marker is in the other view: a log marker's step on the charts, a metric marker's line in
// the log. Log lines have no time; the supervisor's clock (log_clock: offset -> time, once a second)
// gives them one, and the loss series' points give the step logged at that time. So both are
// approximate to about a second, and absent for runs without a clock or without a loss series.
import type Database from 'better-sqlite3';
import type { MarkerOut } from '../../shared/domain/run';
import type { WindowQueries } from '../metrics/window-query';
import type { Marker } from './markers';

export class MarkerPlaces {
  private readonly stmts;

  constructor(
    db: Database.Database,
    private readonly windows: WindowQueries,
  ) {
    this.stmts = {
      // The curve markers are drawn on: loss, else eval_loss, else the longest series.
      series: db.prepare<[string], { id: number }>("SELECT id FROM metric_series WHERE run_id = ? AND stream = 'metrics' ORDER BY name = 'loss' DESC, name = 'eval_loss' DESC, points DESC LIMIT 1"),
      line: db.prepare<[string, number], { offset: number; epoch: number }>('SELECT offset, epoch FROM log_lines WHERE run_id = ? AND n = ?'),
      lastLine: db.prepare<[string], { n: number; epoch: number }>('SELECT n, epoch FROM log_lines WHERE run_id = ? ORDER BY n DESC LIMIT 1'),
      // Uses the (run_id, epoch, offset) index.
      lineFrom: db.prepare<[string, number, number], { n: number }>('SELECT n FROM log_lines WHERE run_id = ? AND epoch = ? AND offset >= ? ORDER BY offset LIMIT 1'),
      timeAt: db.prepare<[string, number, number], { ts: number }>('SELECT ts FROM log_clock WHERE run_id = ? AND epoch = ? AND offset <= ? ORDER BY offset DESC LIMIT 1'),
      offsetAt: db.prepare<[string, number, number], { offset: number }>('SELECT offset FROM log_clock WHERE run_id = ? AND epoch = ? AND ts <= ? ORDER BY ts DESC LIMIT 1'),
    };
  }

  place(runId: string, markers: Marker[]): MarkerOut[] {
    const series = this.stmts.series.get(runId)?.id;
    const last = this.stmts.lastLine.get(runId);
    return markers.map((m) => ({
      ...m,
      from: m.line !== null ? 'log' : 'metrics',
      line: m.line ?? (m.step !== null && series !== undefined && last ? this.lineAtStep(runId, series, m.step, last) : null),
      step: m.step ?? (m.line !== null && series !== undefined ? this.stepAtLine(runId, series, m.line) : null),
    }));
  }

  /** The step the run had logged when the line was written. */
  private stepAtLine(runId: string, series: number, n: number): number | null {
    const line = this.stmts.line.get(runId, n);
    const ts = line && this.stmts.timeAt.get(runId, line.epoch, line.offset)?.ts;
    if (ts === undefined) return null;
    // The last point logged by then; none when the line came first (an error while loading the model).
    const rank = this.windows.firstPast(series, 'time', ts, true) - 1;
    return rank < 0 ? null : (this.windows.pointAt(series, rank)?.step ?? null);
  }

  /** The first log line written at or after the time the step was logged (of the log's latest epoch). */
  private lineAtStep(runId: string, series: number, step: number, last: { n: number; epoch: number }): number | null {
    const point = this.windows.pointAt(series, this.windows.firstPast(series, 'step', step, false));
    const offset = point && this.stmts.offsetAt.get(runId, last.epoch, point.ts)?.offset;
    if (offset === undefined) return null;
    return this.stmts.lineFrom.get(runId, last.epoch, offset)?.n ?? last.n;
  }
}
