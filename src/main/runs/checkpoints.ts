// A run's saved checkpoints (checkpoint_saved events) scored by the project's objective, and the best.
import type Database from 'better-sqlite3';
import type { Project } from '../../shared/domain/project';
import type { WindowQueries } from '../metrics/window-query';

export interface ScoredCheckpoint {
  step: number | null;
  path: string;
  /** The objective's last value at or before the checkpoint's step, if one was logged. */
  value: number | null;
}

export function runCheckpoints(db: Database.Database, windows: WindowQueries, runId: string, objective: Project['objective']): { checkpoints: ScoredCheckpoint[]; best: ScoredCheckpoint | null } {
  const events = db.prepare("SELECT step, data FROM run_events WHERE run_id = ? AND kind = 'checkpoint_saved' ORDER BY id").all(runId) as { step: number | null; data: string }[];
  const series = db.prepare("SELECT id FROM metric_series WHERE run_id = ? AND stream = 'metrics' AND name = ?").get(runId, objective.metric) as { id: number } | undefined;
  // The last point at or before the step is found by the window search (steps have no index); from
  // there back to the last value that is not NaN, along the primary key.
  const lastValue = db.prepare<[number, number], { value: number }>('SELECT value FROM metric_points WHERE series_id = ? AND idx <= ? AND value IS NOT NULL ORDER BY idx DESC LIMIT 1');
  const valueAt = (step: number) => {
    const rank = windows.firstPast(series!.id, 'step', step, true) - 1;
    return rank < 0 ? undefined : lastValue.get(series!.id, rank);
  };
  const checkpoints = events.map((e): ScoredCheckpoint => {
    let path = '';
    try {
      path = String((JSON.parse(e.data) as { path?: unknown }).path ?? '');
    } catch {
      // kept with an empty path
    }
    const row = series && e.step !== null ? valueAt(e.step) : undefined;
    return { step: e.step, path, value: row?.value ?? null };
  });
  const scored = checkpoints.filter((c) => c.value !== null);
  const sign = objective.goal === 'minimize' ? 1 : -1;
  const best = scored.length ? scored.reduce((a, b) => (sign * b.value! < sign * a.value! ? b : a)) : null;
  return { checkpoints, best };
}
