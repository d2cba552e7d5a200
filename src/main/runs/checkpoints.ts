// A run's saved checkpoints (checkpoint_saved events) scored by the project's objective, and the best.
import type Database from 'better-sqlite3';
import type { Project } from '../../shared/domain/project';

export interface ScoredCheckpoint {
  step: number | null;
  path: string;
  /** The objective's last value at or before the checkpoint's step, if one was logged. */
  value: number | null;
}

export function runCheckpoints(db: Database.Database, runId: string, objective: Project['objective']): { checkpoints: ScoredCheckpoint[]; best: ScoredCheckpoint | null } {
  const events = db.prepare("SELECT step, data FROM run_events WHERE run_id = ? AND kind = 'checkpoint_saved' ORDER BY id").all(runId) as { step: number | null; data: string }[];
  const series = db.prepare("SELECT id FROM metric_series WHERE run_id = ? AND stream = 'metrics' AND name = ?").get(runId, objective.metric) as { id: number } | undefined;
  const valueAt = series
    ? db.prepare('SELECT value FROM metric_points WHERE series_id = ? AND step <= ? AND value IS NOT NULL ORDER BY idx DESC LIMIT 1')
    : undefined;
  const checkpoints = events.map((e): ScoredCheckpoint => {
    let path = '';
    try {
      path = String((JSON.parse(e.data) as { path?: unknown }).path ?? '');
    } catch {
      // kept with an empty path
    }
    const row = valueAt && e.step !== null ? (valueAt.get(series!.id, e.step) as { value: number } | undefined) : undefined;
    return { step: e.step, path, value: row?.value ?? null };
  });
  const scored = checkpoints.filter((c) => c.value !== null);
  const sign = objective.goal === 'minimize' ? 1 : -1;
  const best = scored.length ? scored.reduce((a, b) => (sign * b.value! < sign * a.value! ? b : a)) : null;
  return { checkpoints, best };
}
