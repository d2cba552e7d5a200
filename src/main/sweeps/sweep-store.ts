// Sweeps in the database: the sweep, its trials (which run each one is) and its scheduler's decisions
// (read from the host's decision file, or made by this app for a sweep across several hosts).
import type Database from 'better-sqlite3';
import type { Sweep, SweepDecision, SweepSpec, SweepStatus, SweepTrial } from '../../shared/domain/sweep';
import { newUlid } from '../../shared/ids';
import { EngineError } from '../errors';

interface SweepRow {
  id: string;
  name: string;
  project_id: string;
  host_id: string;
  recipe: string;
  spec: string;
  status: SweepStatus;
  remote_dir: string | null;
  decisions_offset: number;
  best: string | null;
  last_error: string | null;
  host_ids: string | null;
  created_at: number;
  updated_at: number;
}

interface DecisionRow {
  seq: number;
  ts: number;
  action: string;
  run_id: string | null;
  rung: number | null;
  value: number | null;
  cutoff: number | null;
  reason: string;
}

/** A decision line as the scheduler writes it (resources/remote/sweep_scheduler.py), or as the app's driver records it. */
export interface DecisionLine {
  seq: number;
  ts: number;
  action: string;
  trial?: string;
  /** App-driven sweeps: which of the sweep's trials, and the host it was launched on. */
  trialIndex?: number;
  host?: string;
  rung?: number | null;
  value?: number | null;
  cutoff?: number | null;
  reason?: string;
  best?: { trial: string; value: number; params: Record<string, unknown> } | null;
  /** A finished line's ending: stopped by the user, or done (no trial left to run). Absent before 2026-11-29. */
  how?: 'stopped' | 'done';
  /** The rest of what a rung decision carries (asha.py's decision), and a start's parameters. */
  resource?: number;
  rank?: number | null;
  results?: number;
  keep?: number | null;
  params?: Record<string, unknown>;
  /** A start's GPUs (indices on its host), when the trial was pinned to some. */
  gpus?: (number | string)[];
}

/** A sweep in these may still decide something: the watcher reads it, and only these end. */
export const ACTIVE: readonly SweepStatus[] = ['RUNNING', 'PAUSED', 'STOPPING'];
const ACTIVE_SQL = ACTIVE.map((s) => `'${s}'`).join(', ');

/** Where a sweep must stand for each control: pause, resume, stop. */
export const CONTROL_FROM: Record<'pause' | 'resume' | 'stop', readonly SweepStatus[]> = { pause: ['RUNNING'], resume: ['PAUSED'], stop: ['RUNNING', 'PAUSED', 'DRAFT'] };

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export class SweepStore {
  constructor(private readonly db: Database.Database) {}

  /** hostIds: several hosts, the app drives the sweep (hostId is then the first of them). */
  create(input: { name: string; projectId: string; hostId: string; hostIds?: string[]; recipe: string; spec: SweepSpec; trials: Record<string, unknown>[] }): string {
    const id = newUlid();
    const now = Date.now();
    const hostIds = input.hostIds && input.hostIds.length > 1 ? JSON.stringify(input.hostIds) : null;
    this.db.transaction(() => {
      this.db
        .prepare("INSERT INTO sweeps (id, name, project_id, host_id, recipe, spec, status, created_at, updated_at, host_ids) VALUES (?, ?, ?, ?, ?, ?, 'DRAFT', ?, ?, ?)")
        .run(id, input.name, input.projectId, input.hostId, input.recipe, JSON.stringify(input.spec), now, now, hostIds);
      const trial = this.db.prepare('INSERT INTO sweep_trials (sweep_id, idx, params) VALUES (?, ?, ?)');
      input.trials.forEach((params, i) => trial.run(id, i, JSON.stringify(params)));
    })();
    return id;
  }

  /** By id, or by name (the newest of that name). */
  resolve(ref: string): string {
    const row = this.db
      .prepare<[string, string, string], { id: string }>('SELECT id FROM sweeps WHERE id = ? OR name = ? ORDER BY (id = ?) DESC, created_at DESC LIMIT 1')
      .get(ref.trim(), ref.trim(), ref.trim());
    if (!row) throw new EngineError('SWEEP_NOT_FOUND', `No sweep "${ref}". List them with \`tunebench sweep list\`.`);
    return row.id;
  }

  get(ref: string): Sweep {
    const id = this.resolve(ref);
    const row = this.db.prepare<[string], SweepRow>('SELECT * FROM sweeps WHERE id = ?').get(id)!;
    return this.toSweep(row);
  }

  list(projectId?: string): Sweep[] {
    const rows = projectId
      ? this.db.prepare<[string], SweepRow>('SELECT * FROM sweeps WHERE project_id = ? ORDER BY created_at DESC').all(projectId)
      : this.db.prepare<[], SweepRow>('SELECT * FROM sweeps ORDER BY created_at DESC').all();
    return rows.map((r) => this.toSweep(r));
  }

  /** Sweeps whose scheduler may still be deciding: the engine follows them. */
  activeIds(): string[] {
    return this.db
      .prepare<[], { id: string }>(`SELECT id FROM sweeps WHERE status IN (${ACTIVE_SQL})`)
      .all()
      .map((r) => r.id);
  }

  /** Sweeps this app drives (several hosts) that may still launch or judge trials. */
  activeAppDrivenIds(): string[] {
    return this.db
      .prepare<[], { id: string }>(`SELECT id FROM sweeps WHERE host_ids IS NOT NULL AND status IN (${ACTIVE_SQL})`)
      .all()
      .map((r) => r.id);
  }

  /**
   * The engine `owner` drives the sweep for the next `ms`: true when no other engine holds it (an engine
   * that was closed lets its hold run out). Two open engines never both launch a sweep's trials.
   */
  holdDriver(id: string, owner: string, ms: number): boolean {
    const now = Date.now();
    return (
      this.db.prepare('UPDATE sweeps SET driver_owner = ?, driver_until = ? WHERE id = ? AND (driver_owner IS NULL OR driver_owner = ? OR driver_until < ?)').run(owner, now + ms, id, owner, now)
        .changes === 1
    );
  }

  releaseDriver(id: string, owner: string): void {
    this.db.prepare('UPDATE sweeps SET driver_owner = NULL, driver_until = NULL WHERE id = ? AND driver_owner = ?').run(id, owner);
  }

  /** An app-driven sweep starts: the driver launches its trials from the next tick. */
  setRunning(id: string): void {
    this.db.prepare("UPDATE sweeps SET status = 'RUNNING', updated_at = ? WHERE id = ?").run(Date.now(), id);
  }

  /** Every stored decision line, whole, in order (an app-driven sweep's state is rebuilt from them). */
  lines(id: string): DecisionLine[] {
    return this.db
      .prepare<[string], { data: string }>('SELECT data FROM sweep_decisions WHERE sweep_id = ? ORDER BY seq')
      .all(id)
      .map((r) => JSON.parse(r.data) as DecisionLine);
  }

  /**
   * Records the decision `decide` makes from the lines stored so far, as the next line, in one
   * immediate transaction: what it decides on is what is stored, even with another engine writing.
   * `decide` returns null to record nothing (the decision was made already). trialRun: the run a trial
   * is, stored with its start (null: the trial has no run again, its launch never reached the host).
   * Returns the stored line.
   */
  record(id: string, decide: (lines: DecisionLine[]) => Omit<DecisionLine, 'seq' | 'ts'> | null, trialRun?: { index: number; runId: string | null }): DecisionLine | null {
    return this.db
      .transaction(() => {
        const lines = this.lines(id);
        const made = decide(lines);
        if (!made) return null;
        const line: DecisionLine = { seq: (lines[lines.length - 1]?.seq ?? 0) + 1, ts: Date.now() / 1000, ...made };
        this.db
          .prepare('INSERT INTO sweep_decisions (sweep_id, seq, ts, action, run_id, rung, value, cutoff, reason, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
          .run(id, line.seq, line.ts, line.action, line.trial ?? null, num(line.rung), num(line.value), num(line.cutoff), line.reason ?? '', JSON.stringify(line));
        if (trialRun?.runId) this.db.prepare('UPDATE sweep_trials SET run_id = ? WHERE sweep_id = ? AND idx = ? AND run_id IS NULL').run(trialRun.runId, id, trialRun.index);
        else if (trialRun) this.db.prepare('UPDATE sweep_trials SET run_id = NULL WHERE sweep_id = ? AND idx = ?').run(id, trialRun.index);
        if (line.action === 'finished' && line.best) this.db.prepare('UPDATE sweeps SET best = ? WHERE id = ?').run(JSON.stringify(line.best), id);
        this.db.prepare('UPDATE sweeps SET updated_at = ? WHERE id = ?').run(Date.now(), id);
        return line;
      })
      .immediate();
  }

  /**
   * A trial's objective as the tracker stored it: its (resource, value) points, the furthest resource it
   * reported (the step, or the metric named as the resource, from its metrics lines) and its values.
   */
  objective(runId: string, metric: string, resource: string): { points: [number, number | null][]; reached: number | null } {
    if (resource === 'step') {
      const points = this.db
        .prepare<[string, string], { step: number; value: number | null }>(
          `SELECT p.step, p.value FROM metric_series s JOIN metric_points p ON p.series_id = s.id
           WHERE s.run_id = ? AND s.stream = 'metrics' AND s.name = ? AND p.step IS NOT NULL ORDER BY p.seq`,
        )
        .all(runId, metric)
        .map((r): [number, number | null] => [r.step, r.value]);
      const reached = this.db
        .prepare<[string], { reached: number | null }>(`SELECT max(p.step) AS reached FROM metric_series s JOIN metric_points p ON p.series_id = s.id WHERE s.run_id = ? AND s.stream = 'metrics'`)
        .get(runId)!.reached;
      return { points, reached };
    }
    // A resource the run logs as a metric (tokens): an objective value counts at the resource logged on the same line.
    const points = this.db
      .prepare<[string, string, string], { at: number; value: number | null }>(
        `SELECT r.value AS at, o.value FROM metric_series rs JOIN metric_points r ON r.series_id = rs.id
           JOIN metric_series os ON os.run_id = rs.run_id AND os.stream = 'metrics' AND os.name = ?
           JOIN metric_points o ON o.series_id = os.id AND o.seq = r.seq
         WHERE rs.run_id = ? AND rs.stream = 'metrics' AND rs.name = ? AND r.value IS NOT NULL ORDER BY r.seq`,
      )
      .all(metric, runId, resource)
      .map((r): [number, number | null] => [r.at, r.value]);
    const reached = this.db
      .prepare<[string, string], { reached: number | null }>(
        `SELECT max(p.value) AS reached FROM metric_series s JOIN metric_points p ON p.series_id = s.id WHERE s.run_id = ? AND s.stream = 'metrics' AND s.name = ?`,
      )
      .get(runId, resource)!.reached;
    return { points, reached };
  }

  offset(id: string): number {
    return this.db.prepare<[string], { decisions_offset: number }>('SELECT decisions_offset FROM sweeps WHERE id = ?').get(id)!.decisions_offset;
  }

  /**
   * DRAFT -> RUNNING with its trials' runs; false (and nothing changed) when it is no longer a draft: it
   * was stopped while its trials were staged, or another engine on the same data started it first.
   */
  setStarted(id: string, remoteDir: string, runIds: string[]): boolean {
    return this.db.transaction(() => {
      const r = this.db.prepare("UPDATE sweeps SET status = 'RUNNING', remote_dir = ?, updated_at = ? WHERE id = ? AND status = 'DRAFT'").run(remoteDir, Date.now(), id);
      if (r.changes !== 1) return false;
      const set = this.db.prepare('UPDATE sweep_trials SET run_id = ? WHERE sweep_id = ? AND idx = ?');
      runIds.forEach((runId, i) => set.run(runId, id, i));
      return true;
    })();
  }

  setStatus(id: string, status: SweepStatus, lastError?: string | null): void {
    this.setStatusIf(id, null, status, lastError);
  }

  /**
   * Sets the status only while it is one of `from` (null: whatever it is), and says whether it did. A pass that read the
   * sweep before an await must not overwrite what a user or another pass set meanwhile (a stop that
   * came while the scheduler's decisions were being read ended the sweep FINISHED, not STOPPED).
   */
  setStatusIf(id: string, from: readonly SweepStatus[] | null, status: SweepStatus, lastError?: string | null): boolean {
    const error = lastError === undefined ? '' : ', last_error = ?';
    const guard = from ? ` AND status IN (${from.map(() => '?').join(', ')})` : '';
    const args = [status, ...(lastError === undefined ? [] : [lastError]), Date.now(), id, ...(from ?? [])];
    return this.db.prepare(`UPDATE sweeps SET status = ?${error}, updated_at = ? WHERE id = ?${guard}`).run(...args).changes === 1;
  }

  setLastError(id: string, lastError: string | null): void {
    this.db.prepare('UPDATE sweeps SET last_error = ?, updated_at = ? WHERE id = ?').run(lastError, Date.now(), id);
  }

  /**
   * Stores the whole decision lines of a chunk and moves the offset past them, in one transaction:
   * a line is stored once however often the chunk is read again (the sequence number is the key).
   * Returns the lines that were new.
   */
  addDecisions(id: string, fromOffset: number, toOffset: number, lines: DecisionLine[]): DecisionLine[] {
    const added: DecisionLine[] = [];
    this.db.transaction(() => {
      const at = this.offset(id);
      if (at !== fromOffset) return; // someone else read this chunk first
      const insert = this.db.prepare('INSERT OR IGNORE INTO sweep_decisions (sweep_id, seq, ts, action, run_id, rung, value, cutoff, reason, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
      for (const l of lines) {
        const r = insert.run(id, l.seq, l.ts, l.action, l.trial ?? null, num(l.rung), num(l.value), num(l.cutoff), l.reason ?? '', JSON.stringify(l));
        if (r.changes) added.push(l);
      }
      const best = [...lines].reverse().find((l) => l.action === 'finished' && l.best);
      if (best?.best) this.db.prepare('UPDATE sweeps SET best = ? WHERE id = ?').run(JSON.stringify(best.best), id);
      this.db.prepare('UPDATE sweeps SET decisions_offset = ?, updated_at = ? WHERE id = ?').run(toOffset, Date.now(), id);
    })();
    return added;
  }

  decisions(ref: string): SweepDecision[] {
    const id = this.resolve(ref);
    return this.db
      .prepare<[string], DecisionRow>('SELECT seq, ts, action, run_id, rung, value, cutoff, reason FROM sweep_decisions WHERE sweep_id = ? ORDER BY seq')
      .all(id)
      .map((r) => ({ seq: r.seq, ts: r.ts, action: r.action, runId: r.run_id, rung: r.rung, value: r.value, cutoff: r.cutoff, reason: r.reason }));
  }

  private toSweep(row: SweepRow): Sweep {
    const trials = this.db
      .prepare<[string, string], { idx: number; run_id: string | null; params: string; reason: string | null }>(
        `SELECT t.idx, t.run_id, t.params,
           (SELECT d.reason FROM sweep_decisions d WHERE d.sweep_id = ? AND d.run_id = t.run_id AND d.run_id IS NOT NULL ORDER BY d.seq DESC LIMIT 1) AS reason
         FROM sweep_trials t WHERE t.sweep_id = ? ORDER BY t.idx`,
      )
      .all(row.id, row.id)
      .map((t): SweepTrial => ({ index: t.idx, runId: t.run_id, params: JSON.parse(t.params) as Record<string, unknown>, lastDecision: t.reason }));
    const best = row.best ? (JSON.parse(row.best) as { trial: string; value: number; params: Record<string, unknown> }) : null;
    const hostIds = row.host_ids ? (JSON.parse(row.host_ids) as string[]) : [row.host_id];
    return {
      id: row.id,
      name: row.name,
      projectId: row.project_id,
      hostId: row.host_id,
      hostIds,
      drivenBy: row.host_ids ? 'app' : 'host',
      recipe: row.recipe,
      status: row.status,
      spec: JSON.parse(row.spec) as SweepSpec,
      trials,
      best: best ? { runId: best.trial, value: best.value, params: best.params } : null,
      remoteDir: row.remote_dir,
      lastError: row.last_error,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }
}
