// Review bundles: everything a reviewer needs to decide offline, in one zip whose manifest holds the
// sha256 of every file. Exported from a finished test run; imported (checked file by file against the
// manifest, then the manifest against what the files say) on a machine with no hosts and no network.
import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import { BUNDLE_FORMAT, BUNDLE_VERSION, BundleManifest, type ReviewBundle } from '../../shared/domain/review';
import { TestReport } from '../../shared/domain/testing';
import { FINAL_STATUSES } from '../../shared/domain/run';
import { EngineError } from '../errors';
import type { CandidateStore } from '../projects/candidates';
import type { RunStore } from '../runs/run-store';
import type { SuiteStore } from '../testing/suite-store';
import { buildReport, renderReportFiles } from '../testing/test-report';
import type { TestStore } from '../testing/test-store';
import type { ProjectStore } from '../projects/project-store';
import type { ApprovalRulesStore } from './approval-rules';
import { readZip, writeZip } from './bundle-zip';
import { SIGNATURE_NAMESPACE } from '../../shared/domain/review';
import { parseAllowedSigners, principalAllowed } from '../signing/allowed-signers';
import { verifySshsig } from '../signing/sshsig';

export const sha256Hex = (data: Buffer | string) => crypto.createHash('sha256').update(data).digest('hex');

export interface BundleDeps {
  db: Database.Database;
  projects: ProjectStore;
  runs: RunStore;
  suites: SuiteStore;
  tests: TestStore;
  candidates: CandidateStore;
  rules: ApprovalRulesStore;
}

interface BundleRow {
  id: string;
  origin: 'exported' | 'imported';
  project_id: string;
  project_name: string;
  test_run_id: string;
  manifest: string;
  report_json: string;
  report_html: string;
  allowed_signers: string | null;
  created_at: number;
}

const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');

/** The candidate's making, with its metric summaries, for the reviewer who cannot open the run. */
function lineageOf(deps: BundleDeps, report: TestReport, runId: string): Record<string, unknown> {
  const run = deps.runs.get(runId);
  const summaries = deps.db
    .prepare<[string], { name: string; min: number | null; max: number | null; last: number | null; points: number }>(
      "SELECT name, min, max, last, points FROM metric_series WHERE run_id = ? AND stream = 'metrics' ORDER BY name",
    )
    .all(runId);
  return { ...report.provenance.lineage, status: run.status, metrics: Object.fromEntries(summaries.map((s) => [s.name, { min: s.min, max: s.max, last: s.last, points: s.points }])) };
}

/** The bundle's files and manifest for a finished test run (deterministic but for createdAt). */
export function bundleFiles(deps: BundleDeps, testRunId: string): { manifest: BundleManifest; files: Map<string, Buffer> } {
  const summary = deps.tests.summary(testRunId);
  if (!(FINAL_STATUSES as readonly string[]).includes(summary.status) || summary.status !== 'SUCCEEDED')
    throw new EngineError(
      'VALIDATION_FAILED',
      `Test run ${summary.id} is ${summary.status}; a review bundle is made from a test run that finished with every case answered. Wait for it, or resume it.`,
    );
  const report = buildReport(deps, summary.id);
  const rendered = renderReportFiles(report);
  const project = deps.projects.get(summary.projectId);
  const suite = deps.suites.source(summary.suite.id);
  const input = deps.tests.comparisonInput(summary.id);
  const byId = (a: { caseId: string }, b: { caseId: string }) => (a.caseId < b.caseId ? -1 : a.caseId > b.caseId ? 1 : 0);
  const files = new Map<string, Buffer>([
    ['report.html', Buffer.from(rendered.html)],
    ['report.json', Buffer.from(rendered.json)],
    ['comparison.json', Buffer.from(`${JSON.stringify(report.comparison, null, 2)}\n`)],
    // The file as the user wrote it, under a fixed name (theirs could clash with suite.json or break zip name rules).
    [`suite/source${/\.(ya?ml|json)$/i.exec(suite.fileName)?.[0]?.toLowerCase() ?? '.txt'}`, Buffer.from(suite.text)],
    ['suite/suite.json', Buffer.from(`${JSON.stringify(deps.suites.spec(summary.suite.id), null, 2)}\n`)],
    ['records/candidate.jsonl', Buffer.from(jsonl([...input.candidate.values()].sort(byId)))],
    ['records/baseline.jsonl', Buffer.from(jsonl([...input.baseline.values()].sort(byId)))],
    ['lineage.json', Buffer.from(`${JSON.stringify(lineageOf(deps, report, summary.candidate.runId), null, 2)}\n`)],
  ]);
  const rules = deps.rules.get(project.id);
  if (rules.allowedSigners.trim()) files.set('signers/allowed_signers', Buffer.from(rules.allowedSigners));
  const head = deps.db.prepare<[string], { digest: string; seq: number }>('SELECT digest, seq FROM approvals WHERE project_id = ? ORDER BY seq DESC LIMIT 1').get(project.id);
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    createdAt: new Date().toISOString(),
    project: { id: project.id, name: project.name },
    testRun: { id: summary.id, verdict: report.comparison.verdict, reportSha256: rendered.htmlSha256, reportJsonSha256: rendered.jsonSha256 },
    suite: { name: report.suite.name, version: report.suite.version, digest: report.suite.digest },
    candidate: { ...summary.candidate, proposedBy: deps.candidates.proposerOf(summary.candidate.runId, summary.candidate.checkpoint) },
    models: report.models,
    chain: { head: head?.digest ?? null, length: head ? head.seq : 0 },
    rules: { forbidSelfApproval: rules.forbidSelfApproval, requiredApprovals: rules.requiredApprovals },
    files: [...files].map(([path, data]) => ({ path, sha256: sha256Hex(data), size: data.length })).sort((a, b) => (a.path < b.path ? -1 : 1)),
  };
  return { manifest, files };
}

/** Why a decision signed here would not verify (signature, or the key against the bundle's allowed signers), or null. */
function decisionProblem(payload: string, signature: string, reviewer: string, allowedSigners: string | null): string | null {
  try {
    const key = verifySshsig(Buffer.from(payload), signature, SIGNATURE_NAMESPACE);
    if (allowedSigners && !principalAllowed(parseAllowedSigners(allowedSigners), reviewer, key.publicKey, SIGNATURE_NAMESPACE, new Date()))
      return `the key ${key.fingerprint} is not allowed to sign for ${reviewer} in the bundle's allowed signers`;
    return null;
  } catch (err) {
    return `the signature does not verify: ${(err as Error).message}`;
  }
}

export class BundleStore {
  constructor(private readonly db: Database.Database) {}

  private toBundle(r: BundleRow): ReviewBundle {
    const m = JSON.parse(r.manifest) as BundleManifest;
    const decisions = this.db
      .prepare<[string], { digest: string; decision: string; reviewer: string; signed_at: number; payload: string; signature: string }>(
        'SELECT * FROM signed_decisions WHERE bundle_id = ? ORDER BY signed_at',
      )
      .all(r.id)
      .map((d) => {
        const problem = decisionProblem(d.payload, d.signature, d.reviewer, r.allowed_signers);
        return { digest: d.digest, decision: d.decision, reviewer: d.reviewer, signedAt: d.signed_at, verified: problem === null, problem };
      });
    return {
      id: r.id,
      origin: r.origin,
      projectId: r.project_id,
      projectName: r.project_name,
      testRunId: r.test_run_id,
      verdict: m.testRun.verdict,
      suite: `${m.suite.name}@${m.suite.version}`,
      candidate: m.candidate.runId + (m.candidate.checkpoint ? `:${m.candidate.checkpoint}` : ''),
      createdAt: r.created_at,
      decisions,
    };
  }

  save(origin: 'exported' | 'imported', id: string, manifest: BundleManifest, reportJson: string, reportHtml: string, allowedSigners: string | null): ReviewBundle {
    this.db
      .prepare(
        'INSERT OR IGNORE INTO review_bundles (id, origin, project_id, project_name, test_run_id, manifest, report_json, report_html, allowed_signers, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(id, origin, manifest.project.id, manifest.project.name, manifest.testRun.id, JSON.stringify(manifest), reportJson, reportHtml, allowedSigners, Date.now());
    return this.get(id);
  }

  row(ref: string): BundleRow {
    const r = ref.trim().replace(/^sha256:/, '');
    const rows = this.db.prepare<[string, string], BundleRow>("SELECT * FROM review_bundles WHERE id LIKE ? || '%' OR test_run_id = ? ORDER BY created_at DESC").all(r.length >= 8 ? r : '\u0000', r);
    if (rows.length === 0)
      throw new EngineError('BUNDLE_NOT_FOUND', `No review bundle "${ref.slice(0, 80)}". Import one with \`tunebench review import FILE.zip\`, or list them with \`tunebench review list\`.`);
    if (new Set(rows.map((x) => x.id)).size > 1 && !rows.some((x) => x.test_run_id === r))
      throw new EngineError('VALIDATION_FAILED', `"${ref.slice(0, 80)}" names several bundles; give more of its id.`);
    return rows[0]!;
  }

  get(ref: string): ReviewBundle {
    return this.toBundle(this.row(ref));
  }

  allowedSigners(ref: string): string | null {
    return this.row(ref).allowed_signers;
  }

  manifest(ref: string): BundleManifest {
    return JSON.parse(this.row(ref).manifest) as BundleManifest;
  }

  report(ref: string): TestReport {
    return JSON.parse(this.row(ref).report_json) as TestReport;
  }

  list(): ReviewBundle[] {
    return this.db
      .prepare<[], BundleRow>('SELECT * FROM review_bundles ORDER BY created_at DESC')
      .all()
      .map((r) => this.toBundle(r));
  }
}

export async function exportBundle(deps: BundleDeps, store: BundleStore, testRunId: string, out: string): Promise<{ bundle: ReviewBundle; file: string; bytes: number; manifestSha256: string }> {
  const { manifest, files } = bundleFiles(deps, testRunId);
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  const id = sha256Hex(manifestBytes);
  const { bytes } = await writeZip(out, [{ path: 'manifest.json', data: manifestBytes }, ...[...files].map(([path, data]) => ({ path, data }))]);
  const bundle = store.save('exported', id, manifest, files.get('report.json')!.toString(), files.get('report.html')!.toString(), files.get('signers/allowed_signers')?.toString() ?? null);
  return { bundle, file: out, bytes, manifestSha256: id };
}

/** Checks a bundle's files against its manifest (nothing changed, missing or extra) and stores it. */
export function checkBundle(entries: Map<string, Buffer>): { id: string; manifest: BundleManifest; report: TestReport; html: string; allowedSigners: string | null } {
  const bad = (message: string, details?: unknown) => new EngineError('BUNDLE_INVALID', message, details);
  const manifestBytes = entries.get('manifest.json');
  if (!manifestBytes) throw bad('The zip has no manifest.json: it is not a Tunebench review bundle.');
  let raw: { format?: unknown; version?: unknown };
  try {
    raw = JSON.parse(manifestBytes.toString('utf8')) as typeof raw;
  } catch {
    throw bad('manifest.json is not JSON: the bundle is damaged. Ask for it again.');
  }
  if (raw?.format !== BUNDLE_FORMAT) throw bad(`manifest.json says format ${JSON.stringify(raw?.format)?.slice(0, 60)}, not ${BUNDLE_FORMAT}: this is not a Tunebench review bundle.`);
  if (typeof raw.version === 'number' && raw.version > BUNDLE_VERSION)
    throw new EngineError('BUNDLE_TOO_NEW', `The bundle is format version ${raw.version}; this Tunebench reads up to version ${BUNDLE_VERSION}. Update Tunebench to open it.`);
  const parsed = BundleManifest.safeParse(raw);
  if (!parsed.success) throw bad(`manifest.json does not describe a bundle: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}.`);
  const manifest = parsed.data;
  const listed = new Map(manifest.files.map((f) => [f.path, f]));
  const changed: string[] = [];
  const missing: string[] = [];
  for (const f of manifest.files) {
    const data = entries.get(f.path);
    if (!data) missing.push(f.path);
    else if (data.length !== f.size || sha256Hex(data) !== f.sha256) changed.push(f.path);
  }
  const extra = [...entries.keys()].filter((p) => p !== 'manifest.json' && !listed.has(p));
  if (changed.length || missing.length || extra.length) {
    const parts = [
      changed.length ? `changed: ${changed.join(', ')}` : '',
      missing.length ? `missing: ${missing.join(', ')}` : '',
      extra.length ? `not in the manifest: ${extra.slice(0, 20).join(', ')}` : '',
    ].filter(Boolean);
    throw bad(`The bundle does not match its manifest (${parts.join('; ')}). It was changed after it was made; ask for the bundle again.`, { changed, missing, extra });
  }
  const reportJson = entries.get('report.json');
  const html = entries.get('report.html');
  if (!reportJson || !html) throw bad('The bundle lacks report.json or report.html.');
  if (sha256Hex(html) !== manifest.testRun.reportSha256 || sha256Hex(reportJson) !== manifest.testRun.reportJsonSha256)
    throw bad("The reports in the bundle are not the ones its manifest names as the test run's evidence.");
  const report = TestReport.safeParse(JSON.parse(reportJson.toString('utf8')));
  if (!report.success) throw bad(`report.json is not a test report this version reads: ${report.error.issues[0]?.path.join('.')}: ${report.error.issues[0]?.message}.`);
  if (report.data.testRun.id !== manifest.testRun.id) throw bad('report.json is the report of another test run than the manifest names.');
  return { id: sha256Hex(manifestBytes), manifest, report: report.data, html: html.toString('utf8'), allowedSigners: entries.get('signers/allowed_signers')?.toString('utf8') ?? null };
}

export async function importBundle(store: BundleStore, file: string): Promise<ReviewBundle> {
  const entries = await readZip(file);
  const checked = checkBundle(entries);
  return store.save('imported', checked.id, checked.manifest, JSON.stringify(checked.report), checked.html, checked.allowedSigners);
}
