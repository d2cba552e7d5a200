// The report of a test run: the comparison (gates computed here, in TypeScript, from the stored
// per-case records) with the models, suite and provenance, as one versioned JSON document; and the
// self-contained HTML file made from it, whose sha256 is what an approval signs.
import crypto from 'node:crypto';
import { REPORT_FORMAT, REPORT_VERSION, type ModelInfo, type TestReport } from '../../shared/domain/testing';
import type { ProjectStore } from '../projects/project-store';
import type { RunStore } from '../runs/run-store';
import { compareModels } from './gates';
import { loadReportRenderer, reportHtml } from './report-html';
import { RUNNER_VERSION } from './test-launcher';
import type { SuiteStore } from './suite-store';
import type { TestStore } from './test-store';

export interface ReportDeps {
  projects: ProjectStore;
  runs: RunStore;
  suites: SuiteStore;
  tests: TestStore;
}

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');

export function buildReport(deps: ReportDeps, id: string): TestReport {
  const summary = deps.tests.summary(id);
  const run = deps.runs.get(summary.id);
  const project = deps.projects.get(run.projectId);
  const input = deps.tests.comparisonInput(run.id);
  const waivers = deps.tests.waivers(run.id);
  const policy = deps.tests.policyOf(run.id);
  const comparison = compareModels({ ...input, policy, waivers });
  const { planned, recorded } = deps.tests.models(run.id);
  const models: ModelInfo[] = planned.map((m) => {
    const got = recorded.get(m.role);
    return {
      role: m.role,
      label: m.label,
      runId: m.runId,
      checkpoint: m.checkpoint,
      loader: got?.loader || m.loader,
      path: got?.path || m.model || m.dir,
      files: got?.files ?? [],
      rootDigest: got?.rootDigest ?? null,
    };
  });
  const candidate = planned.find((m) => m.role === 'candidate');
  const suite = deps.suites.byId(summary.suite.id);
  return {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    testRun: {
      id: run.id,
      project: { id: project.id, name: project.name, baseModel: project.baseModel },
      status: run.status,
      createdAt: run.createdAt,
      endedAt: run.endedAt,
      host: run.hostName,
      progress: { done: summary.progress.done, total: Math.max(summary.progress.total, input.candidate.size + input.baseline.size) },
    },
    suite: { name: suite.name, version: suite.version, digest: suite.digest, cases: input.cases.length },
    policy,
    waivers,
    comparison,
    models,
    provenance: {
      runnerVersion: RUNNER_VERSION,
      seed: 0,
      decoding: 'greedy (argmax), no sampling; the same seed and cases for both models on one host',
      environment: deps.tests.environment(run.id),
      lineage: candidate?.lineage ?? {},
    },
  };
}

/** The report as HTML and JSON with their digests. */
export function renderReportFiles(report: TestReport): { html: string; htmlSha256: string; json: string; jsonSha256: string } {
  const html = reportHtml(report, loadReportRenderer());
  const json = `${JSON.stringify(report, null, 2)}\n`;
  return { html, htmlSha256: sha256(html), json, jsonSha256: sha256(json) };
}

/**
 * Keeps a test run's verdict and report digests up to date. While cases arrive only the verdict is
 * refreshed; once the run has ended, the HTML is made and its digest recorded.
 */
export function refreshOutcome(deps: ReportDeps, id: string, final: boolean): TestReport {
  const report = buildReport(deps, id);
  const answered = report.comparison.counts.answered > 0;
  const verdict = answered ? report.comparison.verdict : null;
  if (!final) {
    deps.tests.setOutcome(report.testRun.id, verdict, null, null);
    return report;
  }
  const files = renderReportFiles(report);
  deps.tests.setOutcome(report.testRun.id, verdict, files.htmlSha256, files.jsonSha256);
  return report;
}
