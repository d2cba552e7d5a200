// The projects list's figures: each project's training runs, its best objective value, its last activity.
import type Database from 'better-sqlite3';
import type { Goal, ProjectSummary } from '../../shared/domain/project';

export class ProjectSummaries {
  private readonly counts;
  private readonly objectiveSeries;

  constructor(db: Database.Database) {
    this.counts = db.prepare<[], { id: string; runs: number; updated_at: number; last_started: number | null; last_ended: number | null }>(
      `SELECT p.id, count(r.id) AS runs, p.updated_at, max(r.created_at) AS last_started, max(r.ended_at) AS last_ended
         FROM projects p LEFT JOIN runs r ON r.project_id = p.id AND r.kind = 'train'
        GROUP BY p.id`,
    );
    // The summaries kept at ingest (min and max per series): no point is read.
    this.objectiveSeries = db.prepare<[], { project_id: string; goal: Goal; run_id: string; min: number | null; max: number | null }>(
      `SELECT r.project_id, p.objective_goal AS goal, r.id AS run_id, s.min, s.max
         FROM projects p JOIN runs r ON r.project_id = p.id AND r.kind = 'train'
         JOIN metric_series s ON s.run_id = r.id AND s.stream = 'metrics' AND s.name = p.objective_metric`,
    );
  }

  all(): ProjectSummary[] {
    const best = new Map<string, { value: number; runId: string }>();
    for (const row of this.objectiveSeries.all()) {
      const value = row.goal === 'minimize' ? row.min : row.max;
      if (value === null || !Number.isFinite(value)) continue;
      const seen = best.get(row.project_id);
      const better = !seen || (row.goal === 'minimize' ? value < seen.value : value > seen.value);
      if (better) best.set(row.project_id, { value, runId: row.run_id });
    }
    return this.counts.all().map((r) => ({
      projectId: r.id,
      runs: r.runs,
      best: best.get(r.id) ?? null,
      lastActivityAt: Math.max(r.updated_at, r.last_started ?? 0, r.last_ended ?? 0),
    }));
  }
}
