// Test runs in SQLite: what each compares, the per-case records of both models (stored exactly once
// by (run, model, case)), the models' file digests, waivers, and each project's gate policy.
import type Database from 'better-sqlite3';
import { DEFAULT_POLICY, GatePolicy, MODEL_ROLES, type CaseRecord, type ModelInfo, type ModelRole, type SuiteCase, type TestRunSummary, type Verdict, type Waiver } from '../../shared/domain/testing';
import { EngineError } from '../errors';
import type { SuiteStore } from './suite-store';
import { harnessCase, recordFromLine, type RawCaseLine } from './scoring';

interface TestRow {
  run_id: string;
  project_id: string;
  status: string;
  disconnected: number;
  last_error: string | null;
  host_name: string;
  created_at: number;
  ended_at: number | null;
  suite_id: string;
  candidate_run: string;
  candidate_checkpoint: string | null;
  baseline_kind: 'production' | 'base' | 'run';
  baseline_run: string | null;
  baseline_checkpoint: string | null;
  models: string;
  policy: string;
  environment: string | null;
  verdict: Verdict | null;
  report_sha256: string | null;
  done: number;
}

/** What the runner was asked to evaluate, kept with the test run. */
export interface PlannedModel {
  role: ModelRole;
  label: string;
  runId: string | null;
  checkpoint: string | null;
  loader: string;
  dir: string;
  weights: string | null;
  model: string | null;
  /** The candidate's making (recipe, params, code, data, base model, host), shown in its report. */
  lineage?: Record<string, unknown>;
}

const SELECT = `SELECT t.*, r.project_id, r.status, r.disconnected, r.last_error, r.created_at, r.ended_at, h.name AS host_name,
    (SELECT count(*) FROM test_records x WHERE x.run_id = t.run_id) AS done
  FROM test_runs t JOIN runs r ON r.id = t.run_id JOIN hosts h ON h.id = r.host_id`;

const MAX_LINE = 1024 * 1024;

export class TestStore {
  private readonly stmts;
  private readonly casesBySuite = new Map<string, Map<string, SuiteCase>>();

  constructor(
    private readonly db: Database.Database,
    private readonly suites: SuiteStore,
  ) {
    this.stmts = {
      get: db.prepare<[string], TestRow>(`${SELECT} WHERE t.run_id = ?`),
      suiteOf: db.prepare<[string], { suite_id: string }>('SELECT suite_id FROM test_runs WHERE run_id = ?'),
      insertRecord: db.prepare<[string, string, string, number, string, string | null]>(
        'INSERT OR IGNORE INTO test_records (run_id, model, case_id, seq, record, harness_case) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      insertModel: db.prepare<[string, string, string]>('INSERT OR IGNORE INTO test_models (run_id, model, info) VALUES (?, ?, ?)'),
      setEnvironment: db.prepare<[string, string]>('UPDATE test_runs SET environment = ? WHERE run_id = ?'),
      environment: db.prepare<[string], { environment: string | null }>('SELECT environment FROM test_runs WHERE run_id = ?'),
    };
  }

  private casesOf(suiteId: string): Map<string, SuiteCase> {
    let cases = this.casesBySuite.get(suiteId);
    if (!cases) {
      cases = new Map(this.suites.spec(suiteId).cases.map((c) => [c.id, c]));
      this.casesBySuite.set(suiteId, cases);
    }
    return cases;
  }

  create(row: {
    runId: string;
    suiteId: string;
    candidate: { runId: string; checkpoint: string | null };
    baseline: { kind: 'production' | 'base' | 'run'; runId: string | null; checkpoint: string | null };
    models: PlannedModel[];
    policy: GatePolicy;
  }): void {
    this.db
      .prepare('INSERT INTO test_runs (run_id, suite_id, candidate_run, candidate_checkpoint, baseline_kind, baseline_run, baseline_checkpoint, models, policy) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(
        row.runId,
        row.suiteId,
        row.candidate.runId,
        row.candidate.checkpoint,
        row.baseline.kind,
        row.baseline.runId,
        row.baseline.checkpoint,
        JSON.stringify(row.models),
        JSON.stringify(row.policy),
      );
  }

  /**
   * Stores the complete lines of a test run's cases.jsonl (called inside the ingest transaction).
   * A case line is scored against the suite here; a line seen before (a replayed chunk, a runner
   * restarted after a crash) changes nothing.
   */
  storeLines(runId: string, lines: readonly { text: string }[]): { added: number; malformed: number } {
    const suiteId = this.stmts.suiteOf.get(runId)?.suite_id;
    if (!suiteId) return { added: 0, malformed: lines.length };
    const cases = this.casesOf(suiteId);
    let added = 0;
    let malformed = 0;
    for (const { text } of lines) {
      if (text.trim() === '') continue;
      let o: Record<string, unknown>;
      try {
        if (text.length > MAX_LINE) throw new Error('too long');
        o = JSON.parse(text) as Record<string, unknown>;
        if (typeof o !== 'object' || o === null) throw new Error('not an object');
      } catch {
        malformed++;
        continue;
      }
      const model = o.model as ModelRole;
      const role = (MODEL_ROLES as readonly string[]).includes(model as string);
      if (o.type === 'case' && role && typeof o.case === 'string') {
        const raw = o as unknown as RawCaseLine;
        const isHarness = raw.kind === 'harness' && raw.case.startsWith('harness/');
        const c = isHarness ? harnessCase(raw) : cases.get(raw.case);
        if (!c) {
          malformed++;
          continue;
        }
        const record = recordFromLine(c, raw);
        const seq = typeof o.seq === 'number' ? o.seq : 0;
        const r = this.stmts.insertRecord.run(runId, model, c.id, seq, JSON.stringify(record), isHarness ? JSON.stringify(c) : null);
        added += r.changes;
      } else if (o.type === 'model' && role) {
        const files = Array.isArray(o.files)
          ? (o.files as { path?: unknown; size?: unknown; sha256?: unknown }[])
              .filter((f) => typeof f.path === 'string' && typeof f.sha256 === 'string')
              .map((f) => ({ path: f.path as string, size: Number(f.size) || 0, sha256: f.sha256 as string }))
          : [];
        this.stmts.insertModel.run(
          runId,
          model,
          JSON.stringify({ loader: String(o.loader ?? ''), path: String(o.path ?? ''), files, rootDigest: typeof o.rootDigest === 'string' ? o.rootDigest : null }),
        );
      } else if (o.type === 'env' || o.type === 'harness-skipped') {
        const env = this.environment(runId);
        if (o.type === 'env')
          for (const [k, v] of Object.entries(o)) if (!['seq', 'type', 'ts'].includes(k) && !(k in Object.prototype) && v !== null && v !== undefined) env[k.slice(0, 100)] = String(v).slice(0, 500);
        if (o.type === 'harness-skipped') env.harness = `skipped: ${String(o.reason ?? '').slice(0, 300)}`;
        this.stmts.setEnvironment.run(JSON.stringify(env), runId);
      } else if (o.type === 'model-error' || o.type === 'harness-error' || o.type === 'error') {
        // What the runner could not do (a model that did not load, a harness task that failed, model
        // files changed between starts): kept with the environment, so the report says it.
        const env = this.environment(runId);
        const key = `${o.type}${typeof o.model === 'string' ? ` (${o.model.slice(0, 20)})` : ''}${typeof o.task === 'string' ? ` ${o.task.slice(0, 100)}` : ''}`;
        env[key] = String(o.error ?? '').slice(0, 1000);
        this.stmts.setEnvironment.run(JSON.stringify(env), runId);
      } else if (o.type !== 'done' && o.type !== 'harness-task') {
        malformed++;
      }
    }
    return { added, malformed };
  }

  environment(runId: string): Record<string, string> {
    const text = this.stmts.environment.get(runId)?.environment;
    return text ? (JSON.parse(text) as Record<string, string>) : {};
  }

  row(id: string): TestRow {
    const row = this.stmts.get.get(id.trim());
    if (!row) throw new EngineError('TEST_NOT_FOUND', `No test run with id "${id.slice(0, 64)}". List them with \`tunebench test list\`.`);
    return row;
  }

  /** Cases the report covers: the suite's, then harness samples the runner made cases of. */
  comparisonInput(id: string): { cases: SuiteCase[]; candidate: Map<string, CaseRecord>; baseline: Map<string, CaseRecord> } {
    const row = this.row(id);
    const cases = [...this.casesOf(row.suite_id).values()];
    const candidate = new Map<string, CaseRecord>();
    const baseline = new Map<string, CaseRecord>();
    const harness = new Map<string, SuiteCase>();
    const rows = this.db
      .prepare<[string], { model: string; case_id: string; record: string; harness_case: string | null }>('SELECT model, case_id, record, harness_case FROM test_records WHERE run_id = ?')
      .all(row.run_id);
    for (const r of rows) {
      (r.model === 'candidate' ? candidate : baseline).set(r.case_id, JSON.parse(r.record) as CaseRecord);
      if (r.harness_case && !harness.has(r.case_id)) harness.set(r.case_id, JSON.parse(r.harness_case) as SuiteCase);
    }
    return { cases: [...cases, ...[...harness.values()].sort((a, b) => (a.id < b.id ? -1 : 1))], candidate, baseline };
  }

  models(id: string): { planned: PlannedModel[]; recorded: Map<string, Pick<ModelInfo, 'loader' | 'path' | 'files' | 'rootDigest'>> } {
    const row = this.row(id);
    const recorded = new Map(
      this.db
        .prepare<[string], { model: string; info: string }>('SELECT model, info FROM test_models WHERE run_id = ?')
        .all(row.run_id)
        .map((m) => [m.model, JSON.parse(m.info)]),
    );
    return { planned: JSON.parse(row.models) as PlannedModel[], recorded };
  }

  summary(id: string): TestRunSummary {
    return this.toSummary(this.row(id));
  }

  toSummary(row: TestRow): TestRunSummary {
    const suite = this.suites.byId(row.suite_id);
    const planned = JSON.parse(row.models) as PlannedModel[];
    const baseline = planned.find((m) => m.role === 'baseline');
    return {
      id: row.run_id,
      projectId: row.project_id,
      status: row.status,
      disconnected: row.disconnected === 1,
      lastError: row.last_error,
      hostName: row.host_name,
      suite: { id: suite.id, name: suite.name, version: suite.version, digest: suite.digest },
      candidate: { runId: row.candidate_run, checkpoint: row.candidate_checkpoint },
      baseline: { kind: row.baseline_kind, runId: row.baseline_run, checkpoint: row.baseline_checkpoint, label: baseline?.label ?? row.baseline_kind },
      verdict: row.verdict,
      progress: { done: row.done, total: suite.cases * 2 },
      reportSha256: row.report_sha256,
      createdAt: row.created_at,
      endedAt: row.ended_at,
    };
  }

  list(projectId?: string): TestRunSummary[] {
    const rows = projectId
      ? this.db.prepare<[string], TestRow>(`${SELECT} WHERE r.project_id = ? ORDER BY r.created_at DESC, r.id DESC`).all(projectId)
      : this.db.prepare<[], TestRow>(`${SELECT} ORDER BY r.created_at DESC, r.id DESC`).all();
    return rows.map((r) => this.toSummary(r));
  }

  setOutcome(id: string, verdict: Verdict | null, reportSha256: string | null, reportJsonSha256: string | null): void {
    this.db.prepare('UPDATE test_runs SET verdict = ?, report_sha256 = ?, report_json_sha256 = ? WHERE run_id = ?').run(verdict, reportSha256, reportJsonSha256, id);
  }

  policyOf(id: string): GatePolicy {
    return GatePolicy.parse(JSON.parse(this.row(id).policy));
  }

  waivers(id: string): Waiver[] {
    return this.db
      .prepare<[string], { case_id: string; reason: string; at: number }>('SELECT case_id, reason, at FROM test_waivers WHERE run_id = ? ORDER BY case_id')
      .all(id)
      .map((w) => ({ caseId: w.case_id, reason: w.reason, at: w.at }));
  }

  waive(id: string, caseId: string, reason: string): void {
    const row = this.row(id);
    // A suite case, or a harness sample the runner made a case of: no need to load every record to know.
    const known =
      this.casesOf(row.suite_id).has(caseId) ||
      this.db.prepare<[string, string], { n: number }>('SELECT count(*) AS n FROM test_records WHERE run_id = ? AND case_id = ?').get(row.run_id, caseId)!.n > 0;
    if (!known) throw new EngineError('VALIDATION_FAILED', `Test run ${row.run_id} has no case "${caseId.slice(0, 200)}". Give a case id from its report.`);
    this.db
      .prepare('INSERT INTO test_waivers (run_id, case_id, reason, at) VALUES (?, ?, ?, ?) ON CONFLICT (run_id, case_id) DO UPDATE SET reason = excluded.reason, at = excluded.at')
      .run(row.run_id, caseId, reason, Date.now());
  }

  projectPolicy(projectId: string): GatePolicy {
    const row = this.db.prepare<[string], { policy: string }>('SELECT policy FROM test_policies WHERE project_id = ?').get(projectId);
    return row ? GatePolicy.parse({ ...DEFAULT_POLICY, ...(JSON.parse(row.policy) as object) }) : DEFAULT_POLICY;
  }

  setProjectPolicy(projectId: string, changes: Partial<GatePolicy>): GatePolicy {
    const next = GatePolicy.parse({ ...this.projectPolicy(projectId), ...changes });
    this.db
      .prepare('INSERT INTO test_policies (project_id, policy, updated_at) VALUES (?, ?, ?) ON CONFLICT (project_id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at')
      .run(projectId, JSON.stringify(next), Date.now());
    return next;
  }
}
