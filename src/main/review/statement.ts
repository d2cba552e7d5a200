// The approval statement (in-toto Statement v1) and the rules every decision is held to, shared by
// the reviewer's side (before signing) and the requester's (before recording): a deliberate confirm,
// an override reason for approving anything but PASS, and the waivers that count.
import type { ApprovalStatement, BundleManifest, DecisionKind } from '../../shared/domain/review';
import { PREDICATE_TYPE, STATEMENT_TYPE } from '../../shared/domain/review';
import type { Comparison, TestReport, Verdict } from '../../shared/domain/testing';
import { EngineError } from '../errors';

/** JSON with object keys sorted at every level, two-space indented, newline-terminated: the signed bytes. */
export function stableJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    return v;
  };
  return `${JSON.stringify(sort(value), null, 2)}\n`;
}

/**
 * The verdict once the decision's waivers count as well: a FAIL whose only failing gate is critical
 * regressions, all of them waived now, is no longer a FAIL. Statistics gates are never waived.
 */
export function effectiveVerdict(comparison: Comparison, waivedNow: readonly string[]): Verdict {
  const waived = new Set(waivedNow);
  const outcomes = comparison.gates.map((g) => {
    if (g.id !== 'critical-regressions' || g.outcome !== 'fail') return g.outcome;
    const open = comparison.cases.filter((c) => c.critical && c.change === 'regression' && !c.waived && !waived.has(c.caseId));
    return open.length ? 'fail' : 'pass';
  });
  if (outcomes.includes('fail')) return 'FAIL';
  if (outcomes.includes('inconclusive') || comparison.counts.answered === 0) return 'INCONCLUSIVE';
  return 'PASS';
}

export interface DecisionRequest {
  decision: DecisionKind;
  comment: string;
  waivers: { caseId: string; reason: string }[];
  override: string | null;
}

/** Checks what a decision asks against the report; throws DECISION_REFUSED with what to do. */
export function checkDecision(report: TestReport, request: DecisionRequest): Verdict {
  const ids = new Set(report.comparison.cases.map((c) => c.caseId));
  const unknown = request.waivers.filter((w) => !ids.has(w.caseId)).map((w) => w.caseId);
  if (unknown.length)
    throw new EngineError(
      'DECISION_REFUSED',
      `The report has no case ${unknown
        .slice(0, 5)
        .map((c) => `"${c.slice(0, 60)}"`)
        .join(', ')}: waive case ids from its report.`,
    );
  const verdict = effectiveVerdict(
    report.comparison,
    request.waivers.map((w) => w.caseId),
  );
  if (request.decision === 'approve' && verdict !== 'PASS' && !request.override?.trim())
    throw new EngineError(
      'DECISION_REFUSED',
      `The verdict is ${verdict}; approving it needs a written override reason (--override "..."), which is signed with the decision and shown wherever it is.`,
    );
  return verdict;
}

export function buildStatement(args: {
  manifest: BundleManifest;
  bundleId: string;
  report: TestReport;
  request: DecisionRequest;
  reviewer: { id: string; keyFingerprint: string; keyType: string };
  time: Date;
}): ApprovalStatement {
  const { manifest, report, request } = args;
  const candidate = manifest.models.find((m) => m.role === 'candidate');
  if (!candidate?.rootDigest)
    throw new EngineError('DECISION_REFUSED', "The bundle does not name the candidate model's digest (the runner never hashed it); test the candidate again and export a new bundle.");
  const name = `${manifest.project.name}/${manifest.candidate.runId}${manifest.candidate.checkpoint ? `:${manifest.candidate.checkpoint}` : ''}`;
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name, digest: { sha256: candidate.rootDigest } }],
    predicateType: PREDICATE_TYPE,
    predicate: {
      decision: request.decision,
      time: args.time.toISOString(),
      comment: request.comment,
      reviewer: args.reviewer,
      project: manifest.project,
      candidate: manifest.candidate,
      testRun: manifest.testRun.id,
      bundle: `sha256:${args.bundleId}`,
      files: candidate.files.map((f) => ({ path: f.path, sha256: f.sha256, size: f.size })),
      evidence: {
        reportSha256: manifest.testRun.reportSha256,
        reportJsonSha256: manifest.testRun.reportJsonSha256,
        suite: manifest.suite,
        verdict: report.comparison.verdict,
        gates: report.comparison.gates.map((g) => ({ id: g.id, outcome: g.outcome, summary: g.summary })),
      },
      lineage: report.provenance.lineage,
      waivers: request.waivers,
      override: request.override?.trim() || null,
      previous: manifest.chain.head,
    },
  };
}
