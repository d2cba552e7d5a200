// Runs in SQLite, with the counts the tracker shows (log lines, metric points, malformed lines).
import type Database from 'better-sqlite3';
import type { CodePin } from '../../shared/domain/project';
import { FINAL_STATUSES, FOLLOWED_STATUSES, type Run, type RunStatus } from '../../shared/domain/run';
import { RunResources, type RunJob } from '../../shared/domain/slurm';
import { EngineError } from '../errors';

interface RunRow {
  id: string;
  name: string;
  project_id: string;
  host_id: string;
  host_name: string;
  recipe: string;
  kind: 'train' | 'test';
  params: string;
  status: RunStatus;
  disconnected: number;
  remote_dir: string;
  exit_code: number | null;
  created_at: number;
  ended_at: number | null;
  malformed_lines: number;
  last_error: string | null;
  job_id: string | null;
  job_submitted_at: string | null;
  job_state: string | null;
  job_reason: string | null;
  job_attempt: number;
  job_nodes: string | null;
  resources: string | null;
  log_lines: number;
  metric_points: number;
}

const SELECT = `
  SELECT r.*, h.name AS host_name,
    -- Lines are numbered 1..N per run, so the last number is the count: one index seek, not a scan.
    (SELECT coalesce(max(l.n), 0) FROM log_lines l WHERE l.run_id = r.id) AS log_lines,
    (SELECT coalesce(sum(s.points), 0) FROM metric_series s WHERE s.run_id = r.id) AS metric_points
  FROM runs r JOIN hosts h ON h.id = r.host_id`;

const toRun = (r: RunRow): Run => ({
  id: r.id,
  name: r.name,
  projectId: r.project_id,
  hostId: r.host_id,
  hostName: r.host_name,
  recipe: r.recipe,
  kind: r.kind,
  params: JSON.parse(r.params) as Record<string, unknown>,
  status: r.status,
  disconnected: r.disconnected === 1,
  remoteDir: r.remote_dir,
  exitCode: r.exit_code,
  createdAt: r.created_at,
  endedAt: r.ended_at,
  logLines: r.log_lines,
  metricPoints: r.metric_points,
  malformedLines: r.malformed_lines,
  lastError: r.last_error,
  job:
    r.job_id === null
      ? null
      : {
          jobId: r.job_id,
          submittedAt: r.job_submitted_at,
          state: r.job_state,
          reason: r.job_reason,
          attempt: r.job_attempt,
          nodes: r.job_nodes,
          resources: r.resources ? RunResources.parse(JSON.parse(r.resources)) : {},
        },
});

/** The part of a job that squeue or the supervisor tells us as it goes. */
export type JobUpdate = Partial<Pick<RunJob, 'submittedAt' | 'state' | 'reason' | 'attempt' | 'nodes'>>;

/** A run's status (an ending sets ended_at once, a code or an error only when given), guarded or not by its status now. */
const SET_STATUS = `UPDATE runs SET status = ?, exit_code = coalesce(?, exit_code), last_error = CASE WHEN ? THEN ? ELSE last_error END,
  ended_at = CASE WHEN ? AND ended_at IS NULL THEN ? ELSE ended_at END WHERE id = ?`;
const statusArgs = (id: string, status: RunStatus, fields: { exitCode?: number | null; lastError?: string | null }) =>
  [status, fields.exitCode ?? null, fields.lastError !== undefined ? 1 : 0, fields.lastError ?? null, FINAL_STATUSES.includes(status) ? 1 : 0, Date.now(), id] as [
    RunStatus,
    number | null,
    number,
    string | null,
    number,
    number,
    string,
  ];

const notFound = (id: string) => new EngineError('RUN_NOT_FOUND', `No run with id "${id.slice(0, 64)}". List runs with \`tunebench run list\`.`);

/** What the watcher needs of a run it follows. */
export interface UnfinishedRun {
  id: string;
  hostId: string;
  remoteDir: string;
  kind: 'train' | 'test';
}

export class RunStore {
  // Prepared once: charts, syncs and the watcher call these many times a second, and preparing
  // costs ~0.1 ms each time.
  private readonly stmts;

  constructor(readonly db: Database.Database) {
    this.stmts = {
      get: db.prepare<[string], RunRow>(`${SELECT} WHERE r.id = ?`),
      exists: db.prepare<[string], { id: string }>('SELECT id FROM runs WHERE id = ?'),
      // QUEUED runs are still being launched: the launcher owns them until they are STARTING.
      unfinished: db.prepare<[], UnfinishedRun>(
        `SELECT id, host_id AS hostId, remote_dir AS remoteDir, kind FROM runs WHERE status IN (${FOLLOWED_STATUSES.map((s) => `'${s}'`).join(', ')}) ORDER BY created_at`,
      ),
      setStatus: db.prepare<[RunStatus, number | null, number, string | null, number, number, string]>(SET_STATUS),
      setDisconnected: db.prepare<[number, string | null, string]>('UPDATE runs SET disconnected = ?, last_error = coalesce(?, last_error) WHERE id = ?'),
      logs: db.prepare<[string, number, number], { n: number; text: string }>('SELECT n, text FROM log_lines WHERE run_id = ? AND n > ? ORDER BY n LIMIT ?'),
    };
  }

  insert(run: { id: string; projectId: string; hostId: string; recipe: string; params: unknown; remoteDir: string; status: RunStatus; kind?: 'train' | 'test'; code?: CodePin | null }): void {
    this.db
      .prepare('INSERT INTO runs (id, project_id, host_id, recipe, params, status, remote_dir, created_at, kind, code_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(run.id, run.projectId, run.hostId, run.recipe, JSON.stringify(run.params), run.status, run.remoteDir, Date.now(), run.kind ?? 'train', run.code ? JSON.stringify(run.code) : null);
  }

  /** The code the run trained with, when it was launched with a code directory. */
  codeOf(id: string): CodePin | null {
    const row = this.db.prepare<[string], { code_json: string | null }>('SELECT code_json FROM runs WHERE id = ?').get(this.requireId(id));
    return row?.code_json ? (JSON.parse(row.code_json) as CodePin) : null;
  }

  get(id: string): Run {
    const row = this.stmts.get.get(id.trim());
    if (!row) throw notFound(id);
    return toRun(row);
  }

  /** The run's id when it exists (without the counts get() adds up), else RUN_NOT_FOUND. */
  requireId(id: string): string {
    const row = this.stmts.exists.get(id.trim());
    if (!row) throw notFound(id);
    return row.id;
  }

  /** Training runs; test runs are listed by `tunebench test list`. */
  list(projectId?: string): Run[] {
    const rows = projectId
      ? this.db.prepare<[string], RunRow>(`${SELECT} WHERE r.project_id = ? AND r.kind = 'train' ORDER BY r.created_at DESC, r.id DESC`).all(projectId)
      : this.db.prepare<[], RunRow>(`${SELECT} WHERE r.kind = 'train' ORDER BY r.created_at DESC, r.id DESC`).all();
    return rows.map(toRun);
  }

  unfinishedIds(): string[] {
    return this.unfinished().map((r) => r.id);
  }

  /** Runs still followed, with what following them needs: one query per tick, not a get() per run. */
  unfinished(): UnfinishedRun[] {
    return this.stmts.unfinished.all();
  }

  /** A launch the app never finished (it quit mid-upload) would stay QUEUED forever: fail it, saying why. */
  failStaleLaunches(olderThanMs: number): void {
    this.db
      .prepare("UPDATE runs SET status = 'FAILED', ended_at = ?, last_error = ? WHERE status = 'QUEUED' AND created_at < ?")
      .run(Date.now(), 'The app stopped while launching this run; nothing was started. Launch it again.', Date.now() - olderThanMs);
  }

  setStatus(id: string, status: RunStatus, fields: { exitCode?: number | null; lastError?: string | null } = {}): void {
    this.stmts.setStatus.run(...statusArgs(id, status, fields));
  }

  /**
   * Sets the status only while the run is in one of `from`; says whether it did. What decided the new
   * status was read before an await (a sync reading the host, a launch uploading, a cancel reaching the
   * host): a cancel, an ending or another engine's pass that came meanwhile must not be overwritten.
   */
  setStatusIf(id: string, from: readonly RunStatus[], status: RunStatus, fields: { exitCode?: number | null; lastError?: string | null } = {}): boolean {
    return this.db.prepare(`${SET_STATUS} AND status IN (${from.map(() => '?').join(', ')})`).run(...statusArgs(id, status, fields), ...from).changes === 1;
  }

  /**
   * A stopped run started again in its own directory (a resumed test run): running, not ended. Only from
   * `from` (the status it was resumed from): two resumes at once start one supervisor, not two.
   */
  restart(id: string, from: RunStatus): boolean {
    return this.db.prepare("UPDATE runs SET status = 'STARTING', exit_code = NULL, ended_at = NULL, last_error = NULL WHERE id = ? AND status = ?").run(id, from).changes === 1;
  }

  /** Records the job a run was submitted as (its id from sbatch) and the resources it asked for. */
  setJob(id: string, jobId: string, resources: RunResources): void {
    this.db.prepare('UPDATE runs SET job_id = ?, resources = ?, job_state = ? WHERE id = ?').run(jobId, JSON.stringify(resources), 'PENDING', id);
  }

  /** Keeps what SLURM last said about a run's job; fields not given stay. */
  updateJob(id: string, change: JobUpdate): void {
    this.db
      .prepare(
        `UPDATE runs SET job_submitted_at = coalesce(?, job_submitted_at), job_state = coalesce(?, job_state),
           job_reason = CASE WHEN ? THEN ? ELSE job_reason END, job_attempt = coalesce(?, job_attempt), job_nodes = coalesce(?, job_nodes) WHERE id = ?`,
      )
      .run(change.submittedAt ?? null, change.state ?? null, change.reason !== undefined ? 1 : 0, change.reason ?? null, change.attempt ?? null, change.nodes ?? null, id);
  }

  setDisconnected(id: string, disconnected: boolean, lastError?: string): void {
    this.stmts.setDisconnected.run(disconnected ? 1 : 0, lastError ?? null, id);
  }

  logs(id: string, afterLine: number, limit: number): { n: number; text: string }[] {
    return this.stmts.logs.all(id, afterLine, limit);
  }

  metrics(id: string, name?: string) {
    const sql = `SELECT p.seq, s.stream, p.ts, p.step, s.kind, s.name, p.value FROM metric_series s JOIN metric_points p ON p.series_id = s.id
      WHERE s.run_id = ?${name ? ' AND s.name = ?' : ''} ORDER BY s.stream, p.seq, s.name`;
    const args = name ? [id, name] : [id];
    return this.db.prepare(sql).all(...args) as { seq: number; stream: string; ts: number; step: number | null; kind: string; name: string; value: number | null }[];
  }
}
