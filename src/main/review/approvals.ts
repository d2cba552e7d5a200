// The requester's side: a decision file is recorded only after its signature, the key's right to
// sign for the project, the model and evidence it names, the project's rules and its place in the
// chain all check out. Verify re-checks every link and says which one is broken.
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { ApprovalStatement, DecisionFile, SIGNATURE_NAMESPACE, type Approval, type ApprovalStatus, type VerifyResult } from '../../shared/domain/review';
import { EngineError } from '../errors';
import type { CandidateStore } from '../projects/candidates';
import type { ProjectStore } from '../projects/project-store';
import { principalAllowed, parseAllowedSigners } from '../signing/allowed-signers';
import { verifySshsig } from '../signing/sshsig';
import type { TestStore } from '../testing/test-store';
import type { ReportDeps } from '../testing/test-report';
import { buildReport } from '../testing/test-report';
import type { ApprovalRulesStore } from './approval-rules';
import { sha256Hex } from './bundle';
import { checkDecision } from './statement';

export interface ApprovalDeps extends ReportDeps {
  db: Database.Database;
  projects: ProjectStore;
  tests: TestStore;
  candidates: CandidateStore;
  rules: ApprovalRulesStore;
}

interface ApprovalRow {
  digest: string;
  project_id: string;
  seq: number;
  previous: string | null;
  test_run_id: string;
  decision: Approval['decision'];
  reviewer: string;
  fingerprint: string;
  payload: string;
  signature: string;
  imported_at: number;
}

const refused = (message: string, details?: unknown) => new EngineError('DECISION_REFUSED', message, details);

function toApproval(r: ApprovalRow): Approval {
  const s = JSON.parse(r.payload) as ApprovalStatement;
  return {
    digest: r.digest,
    seq: r.seq,
    previous: r.previous,
    projectId: r.project_id,
    testRunId: r.test_run_id,
    decision: r.decision,
    reviewer: r.reviewer,
    fingerprint: r.fingerprint,
    time: s.predicate.time,
    comment: s.predicate.comment,
    override: s.predicate.override,
    waivers: s.predicate.waivers,
    modelDigest: s.subject[0]?.digest.sha256 ?? '',
    importedAt: r.imported_at,
  };
}

/** Parses a decision file: the envelope, then the statement it carries. */
export function parseDecisionFile(text: string): { file: DecisionFile; statement: ApprovalStatement } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new EngineError('VALIDATION_FAILED', 'The decision file is not JSON. Import the file `review decide` wrote, unchanged.');
  }
  const file = DecisionFile.safeParse(raw);
  if (!file.success) throw new EngineError('VALIDATION_FAILED', `This is not a Tunebench decision file (${file.error.issues[0]?.path.join('.')}: ${file.error.issues[0]?.message}).`);
  if (file.data.version > 1) throw new EngineError('BUNDLE_TOO_NEW', `The decision file is format version ${file.data.version}; this Tunebench reads version 1. Update Tunebench.`);
  let statement: ApprovalStatement;
  try {
    statement = ApprovalStatement.parse(JSON.parse(file.data.statement));
  } catch {
    throw new EngineError('SIGNATURE_INVALID', 'The signed statement in the decision file is not an approval statement; it was changed or damaged.');
  }
  return { file: file.data, statement };
}

/**
 * Everything about one decision except its place in the chain: the signature over the exact bytes,
 * the key being the one the statement names and allowed for the reviewer, and the model and evidence
 * being this project's test run as it stands. Returns the problems, in words.
 */
function checkLink(deps: ApprovalDeps, payload: string, signature: string, statement: ApprovalStatement): string[] {
  const problems: string[] = [];
  let key: { fingerprint: string; publicKey: Buffer };
  try {
    key = verifySshsig(Buffer.from(payload), signature, SIGNATURE_NAMESPACE);
  } catch (err) {
    return [`the signature does not verify: ${(err as Error).message}`];
  }
  const p = statement.predicate;
  if (key.fingerprint !== p.reviewer.keyFingerprint) problems.push(`it was signed by ${key.fingerprint}, not the key it names (${p.reviewer.keyFingerprint})`);
  const rules = deps.rules.get(p.project.id);
  if (!rules.allowedSigners.trim()) problems.push(`${p.project.name} has no allowed signers; set them with \`tunebench project set-signers ${p.project.name} --file allowed_signers\``);
  else if (!principalAllowed(parseAllowedSigners(rules.allowedSigners), p.reviewer.id, key.publicKey, SIGNATURE_NAMESPACE, new Date(p.time)))
    problems.push(`the key ${key.fingerprint} is not allowed to sign for ${p.reviewer.id} in ${p.project.name}'s allowed signers`);
  let test;
  try {
    test = deps.tests.summary(p.testRun);
  } catch {
    return [...problems, `it is about test run ${p.testRun}, which this data directory does not have`];
  }
  if (test.projectId !== p.project.id) problems.push(`test run ${p.testRun} belongs to another project`);
  const models = deps.tests.models(test.id).recorded;
  const root = models.get('candidate')?.rootDigest;
  if (test.candidate.runId !== p.candidate.runId || test.candidate.checkpoint !== p.candidate.checkpoint)
    problems.push(`it names candidate ${p.candidate.runId}, but test run ${test.id} tested ${test.candidate.runId}`);
  if (!root || statement.subject[0]?.digest.sha256 !== root)
    problems.push(`it is about model ${statement.subject[0]?.digest.sha256?.slice(0, 16) ?? '?'}…, but the candidate of test run ${test.id} is ${root?.slice(0, 16) ?? 'unhashed'}…`);
  if (p.evidence.reportSha256 !== test.reportSha256)
    problems.push(`its report digest ${p.evidence.reportSha256.slice(0, 16)}… is not the test run's report (${test.reportSha256?.slice(0, 16) ?? 'none'}…)`);
  return problems;
}

export class ApprovalStore {
  constructor(private readonly deps: ApprovalDeps) {}

  private rows(projectId: string): ApprovalRow[] {
    return this.deps.db.prepare<[string], ApprovalRow>('SELECT * FROM approvals WHERE project_id = ? ORDER BY seq').all(projectId);
  }

  list(projectRef: string): Approval[] {
    return this.rows(this.deps.projects.get(projectRef).id).map(toApproval);
  }

  row(ref: string): ApprovalRow {
    const r = ref.trim().replace(/^sha256:/, '');
    const rows = this.deps.db.prepare<[string], ApprovalRow>("SELECT * FROM approvals WHERE digest LIKE 'sha256:' || ? || '%'").all(r.length >= 8 ? r : '\u0000');
    if (rows.length !== 1)
      throw new EngineError(
        'APPROVAL_NOT_FOUND',
        rows.length ? `"${ref.slice(0, 80)}" names several approvals; give more of its digest.` : `No approval "${ref.slice(0, 80)}". List them with \`tunebench approval list --project P\`.`,
      );
    return rows[0]!;
  }

  get(ref: string): Approval {
    return toApproval(this.row(ref));
  }

  /** Records a decision file after every check; nothing is stored when one fails. */
  import(text: string): Approval {
    const { file, statement } = parseDecisionFile(text);
    const p = statement.predicate;
    const project = this.deps.projects.get(p.project.id);
    const problems = checkLink(this.deps, file.statement, file.signature, statement);
    if (problems.length) {
      const signatureBad = problems[0]!.startsWith('the signature');
      throw new EngineError(
        signatureBad ? 'SIGNATURE_INVALID' : problems.some((x) => x.includes('allowed')) ? 'SIGNER_NOT_ALLOWED' : 'DECISION_REFUSED',
        `The decision was not recorded: ${problems.join('; ')}.`,
        { problems },
      );
    }
    const rules = this.deps.rules.get(project.id);
    const proposer = this.deps.candidates.proposerOf(p.candidate.runId, p.candidate.checkpoint);
    if (rules.forbidSelfApproval && p.decision === 'approve' && proposer && proposer === p.reviewer.id)
      throw refused(`${p.reviewer.id} proposed this candidate, and ${project.name} forbids approving one's own candidate. The decision was not recorded.`);
    checkDecision(buildReport(this.deps, p.testRun), { decision: p.decision, comment: p.comment, waivers: p.waivers, override: p.override });
    const digest = `sha256:${sha256Hex(file.statement)}`;
    const existing = this.deps.db.prepare<[string], ApprovalRow>('SELECT * FROM approvals WHERE digest = ?').get(digest);
    if (existing) return toApproval(existing);
    const head = this.rows(project.id).at(-1);
    if ((head?.digest ?? null) !== p.previous)
      throw refused(
        `The decision follows ${p.previous ?? 'no earlier decision'}, but ${project.name}'s last decision is ${head?.digest ?? 'none'}: another decision was recorded since the bundle was made. Export a new bundle for the reviewer.`,
      );
    this.deps.db
      .prepare('INSERT INTO approvals (digest, project_id, seq, previous, test_run_id, decision, reviewer, fingerprint, payload, signature, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(digest, project.id, (head?.seq ?? 0) + 1, p.previous, p.testRun, p.decision, p.reviewer.id, p.reviewer.keyFingerprint, file.statement, file.signature, Date.now());
    return this.get(digest);
  }

  /** Checks one approval, or the project's whole chain: each link's signature, rights and evidence, and its place. */
  verify(projectRef: string, ref?: string, chain = false): VerifyResult {
    const project = this.deps.projects.get(projectRef);
    const rows = this.rows(project.id);
    const target = ref ? this.row(ref) : undefined;
    const links = rows
      .map((r, i) => {
        if (!chain && target && r.digest !== target.digest) return null;
        const problems: string[] = [];
        if (sha256Hex(r.payload) !== r.digest.replace(/^sha256:/, '')) problems.push('its stored statement is not the one its digest names (the database was edited)');
        let statement: ApprovalStatement | null = null;
        try {
          statement = ApprovalStatement.parse(JSON.parse(r.payload));
        } catch {
          problems.push('its statement is not an approval statement');
        }
        if (statement) problems.push(...checkLink(this.deps, r.payload, r.signature, statement));
        if (chain || !target) {
          const before = rows[i - 1];
          const expected = before?.digest ?? null;
          if (statement && statement.predicate.previous !== expected)
            problems.push(`it follows ${statement.predicate.previous ?? 'nothing'}, but the link before it is ${expected ?? 'nothing'}: a decision was removed, added or reordered here`);
          if (r.seq !== i + 1) problems.push(`it is number ${r.seq} in a chain where it stands at ${i + 1}`);
        }
        return { digest: r.digest, seq: r.seq, ok: problems.length === 0, problems };
      })
      .filter((l): l is NonNullable<typeof l> => l !== null);
    if (ref && !target) throw new EngineError('APPROVAL_NOT_FOUND', `No approval "${ref}".`);
    const broken = links.filter((l) => !l.ok);
    const summary =
      links.length === 0
        ? `${project.name} has no decisions yet.`
        : broken.length === 0
          ? `${links.length} decision(s) verified${chain || !target ? ', the chain is whole' : ''}.`
          : `${broken.length} of ${links.length} decision(s) fail: first at #${broken[0]!.seq} (${broken[0]!.digest.slice(0, 19)}…): ${broken[0]!.problems[0]}.`;
    return { ok: broken.length === 0, links, summary };
  }

  /** approval.json, approval.json.sig and allowed_signers: what `ssh-keygen -Y verify` needs and nothing else. */
  export(ref: string, dir: string): { files: string[]; reviewer: string } {
    const r = this.row(ref);
    const rules = this.deps.rules.get(r.project_id);
    fs.mkdirSync(dir, { recursive: true });
    const files = [
      [path.join(dir, 'approval.json'), r.payload],
      [path.join(dir, 'approval.json.sig'), r.signature],
      [path.join(dir, 'allowed_signers'), rules.allowedSigners],
    ] as const;
    for (const [f, text] of files) fs.writeFileSync(f, text);
    return { files: files.map(([f]) => f), reviewer: r.reviewer };
  }

  /**
   * Where a test run's candidate stands: approvals from distinct reviewers (on any of its test runs)
   * against the number the project needs, and a PASS of every suite the test policy requires.
   */
  status(testRunId: string): ApprovalStatus {
    const test = this.deps.tests.summary(testRunId);
    const sameCandidate = this.deps.tests.list(test.projectId).filter((t) => t.candidate.runId === test.candidate.runId && t.candidate.checkpoint === test.candidate.checkpoint);
    const ids = new Set(sameCandidate.map((t) => t.id));
    const approvers = [
      ...new Set(
        this.rows(test.projectId)
          .filter((r) => ids.has(r.test_run_id) && r.decision === 'approve')
          .map((r) => r.reviewer),
      ),
    ];
    const required = this.deps.rules.get(test.projectId).requiredApprovals;
    const policy = this.deps.tests.projectPolicy(test.projectId);
    const missingSuites = policy.requiredSuites.filter((name) => !sameCandidate.some((t) => t.suite.name === name && t.verdict === 'PASS'));
    const approved = approvers.length >= required && missingSuites.length === 0;
    const summary = approved
      ? `Approved by ${approvers.join(', ')}.`
      : [approvers.length < required ? `${approvers.length} of ${required} approval(s)` : '', missingSuites.length ? `no PASS yet on required suite(s) ${missingSuites.join(', ')}` : '']
          .filter(Boolean)
          .join('; ') + '.';
    return { testRun: test.id, approvers, required, missingSuites, approved, summary };
  }
}
