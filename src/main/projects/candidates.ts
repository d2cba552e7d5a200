// Production candidates: a run (and checkpoint) proposed for production with a rationale, shown
// with its best value of the project's objective.
import type Database from 'better-sqlite3';
import type { Candidate, Project } from '../../shared/domain/project';
import { FINAL_STATUSES } from '../../shared/domain/run';
import { newUlid } from '../../shared/ids';
import { EngineError } from '../errors';
import type { RunStore } from '../runs/run-store';
import type { ProjectStore } from './project-store';

interface CandidateRow {
  id: string;
  project_id: string;
  run_id: string;
  checkpoint: string | null;
  reason: string;
  proposed_at: number;
  proposed_by: string | null;
}

export class CandidateStore {
  private readonly stmts;

  constructor(
    db: Database.Database,
    private readonly projects: ProjectStore,
    private readonly runs: RunStore,
  ) {
    this.stmts = {
      best: db.prepare<[string, string], { min: number | null; min_step: number | null; max: number | null; max_step: number | null }>(
        "SELECT min, min_step, max, max_step FROM metric_series WHERE run_id = ? AND stream = 'metrics' AND name = ?",
      ),
      insert: db.prepare<[string, string, string, string | null, string, number, string | null]>(
        'INSERT INTO candidates (id, project_id, run_id, checkpoint, reason, proposed_at, proposed_by) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      proposer: db.prepare<[string, string | null], { proposed_by: string | null }>('SELECT proposed_by FROM candidates WHERE run_id = ? AND checkpoint IS ? ORDER BY proposed_at DESC LIMIT 1'),
      list: db.prepare<[string], CandidateRow>('SELECT * FROM candidates WHERE project_id = ? ORDER BY proposed_at DESC, id DESC'),
    };
  }

  /** The run's best value of the objective, and its step, from the summary kept at ingest. */
  private best(runId: string, project: Project): Candidate['objective'] {
    const row = this.stmts.best.get(runId, project.objective.metric);
    const min = project.objective.goal === 'minimize';
    return { ...project.objective, best: (min ? row?.min : row?.max) ?? null, step: (min ? row?.min_step : row?.max_step) ?? null };
  }

  private toCandidate(r: CandidateRow, project: Project): Candidate {
    return {
      id: r.id,
      projectId: r.project_id,
      runId: r.run_id,
      checkpoint: r.checkpoint,
      reason: r.reason,
      proposedAt: r.proposed_at,
      proposedBy: r.proposed_by,
      objective: this.best(r.run_id, project),
    };
  }

  /** Who proposed this run (and checkpoint) as a candidate, if anyone did. */
  proposerOf(runId: string, checkpoint: string | null): string | null {
    return this.stmts.proposer.get(runId, checkpoint)?.proposed_by ?? null;
  }

  propose(input: { run: string; checkpoint?: string | undefined; reason: string }, by: string | null = null): Candidate {
    const run = this.runs.get(input.run);
    if (run.kind !== 'train') throw new EngineError('VALIDATION_FAILED', `Run ${run.id} is a test run; propose the training run it tested.`);
    if (run.status !== 'SUCCEEDED') {
      throw new EngineError('VALIDATION_FAILED', `Run ${run.id} is ${run.status}; only a run that SUCCEEDED can be a production candidate.`);
    }
    const row: CandidateRow = { id: newUlid(), project_id: run.projectId, run_id: run.id, checkpoint: input.checkpoint ?? null, reason: input.reason, proposed_at: Date.now(), proposed_by: by };
    this.stmts.insert.run(row.id, row.project_id, row.run_id, row.checkpoint, row.reason, row.proposed_at, row.proposed_by);
    return this.toCandidate(row, this.projects.get(run.projectId));
  }

  list(projectRef: string): Candidate[] {
    const project = this.projects.get(projectRef);
    return this.stmts.list.all(project.id).map((r) => this.toCandidate(r, project));
  }

  /** Saves a finished run's recipe and parameters as the project's own, for reuse. */
  saveRecipeFrom(projectRef: string, runId: string): Project {
    const project = this.projects.get(projectRef);
    const run = this.runs.get(runId);
    if (run.projectId !== project.id) throw new EngineError('VALIDATION_FAILED', `Run ${run.id} belongs to another project, not ${project.name}. Choose one of ${project.name}'s runs.`);
    if (!FINAL_STATUSES.includes(run.status)) throw new EngineError('VALIDATION_FAILED', `Run ${run.id} is still ${run.status}; save its recipe once it has finished.`);
    // With the code it trained (when it was launched with a code directory): continuous training runs that code again.
    return this.projects.setRecipe(project.id, { name: run.recipe, params: run.params, fromRunId: run.id, code: this.runs.codeOf(run.id) });
  }
}
