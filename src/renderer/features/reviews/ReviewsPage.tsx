// Reviews: every project's test runs with their verdicts, newest first; one opens its report.
import { useEffect, useState } from 'react';
import type { TestRunSummary } from '../../../shared/domain/testing';
import { EmptyState } from '../../components/EmptyState';
import { formatShortTime } from '../../format';
import { useApp, useClient } from '../../store/context';
import { VerdictBadge } from './VerdictBadge';
import type { ReviewBundle } from '../../../shared/domain/review';
import { ApprovalChain } from './ApprovalChain';
import { BundleImport } from './BundleImport';
import { BundleList } from './BundleList';

export function ReviewsPage() {
  const client = useClient();
  const projects = useApp((s) => s.projects);
  const navigate = useApp((s) => s.navigate);
  const notifyError = useApp((s) => s.notifyError);
  const [tests, setTests] = useState<TestRunSummary[] | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => client.on('runs.changed', () => setTick((t) => t + 1)), [client]);
  const [bundles, setBundles] = useState<ReviewBundle[]>([]);
  useEffect(() => client.on('projects.changed', () => setTick((t) => t + 1)), [client]);
  useEffect(() => {
    client.call('tests.list', {}).then(setTests, (err) => {
      notifyError(err);
      setTests([]);
    });
    client.call('reviews.list', {}).then(setBundles, notifyError);
  }, [client, tick, notifyError]);

  const byProject = new Map<string, TestRunSummary[]>();
  for (const t of tests ?? []) byProject.set(t.projectId, [...(byProject.get(t.projectId) ?? []), t]);
  const nameOf = (id: string) => projects.find((p) => p.id === id)?.name ?? id;

  return (
    <>
      <header className="page-header">
        <h1>Reviews</h1>
      </header>
      <p className="muted page-intro">
        Test runs compare a production candidate with the model in production (or the base model) on a suite, and decide a verdict from gates a statistician would accept. Start one from a project's
        production candidates. A review bundle carries a test run to a reviewer, who signs a decision with their SSH key; approved models are then pushed from their decision to a registry.
      </p>
      <section className="card wide" aria-labelledby="bundles-heading">
        <h2 id="bundles-heading">Review bundles</h2>
        <BundleImport onImported={(b) => navigate({ area: 'reviews', bundleId: b.id })} />
        <BundleList bundles={bundles} />
      </section>
      {tests === null ? (
        <p className="muted" role="status">
          Loading…
        </p>
      ) : tests.length === 0 && bundles.length > 0 ? (
        <p className="muted">No test runs in this data directory: the bundles above carry theirs.</p>
      ) : tests.length === 0 ? (
        <EmptyState title="No test runs here">
          <p>Add a suite to a project, propose a candidate, then choose “Test against production” on the project page.</p>
        </EmptyState>
      ) : (
        [...byProject.entries()].map(([projectId, list]) => (
          <section className="card wide" key={projectId} aria-label={`Test runs of ${nameOf(projectId)}`}>
            <h2>{nameOf(projectId)}</h2>
            <table className="data-table" aria-label={`Test runs of ${nameOf(projectId)}`}>
              <thead>
                <tr>
                  <th>Verdict</th>
                  <th>Suite</th>
                  <th>Candidate</th>
                  <th>Baseline</th>
                  <th>Cases</th>
                  <th>Started</th>
                </tr>
              </thead>
              <tbody>
                {list.map((t) => (
                  <tr key={t.id}>
                    <td>
                      <a
                        href={`#/reviews/${t.id}`}
                        onClick={(e) => {
                          e.preventDefault();
                          navigate({ area: 'reviews', testId: t.id });
                        }}
                      >
                        <VerdictBadge test={t} />
                      </a>
                    </td>
                    <td className="mono">
                      {t.suite.name}@{t.suite.version}
                    </td>
                    <td className="mono">
                      {t.candidate.runId.slice(-8)}
                      {t.candidate.checkpoint ? `:${t.candidate.checkpoint}` : ''}
                    </td>
                    <td className="clip">{t.baseline.label}</td>
                    <td className="nowrap">
                      {t.progress.done} / {t.progress.total}
                    </td>
                    <td className="nowrap">{formatShortTime(t.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <ApprovalChain projectId={projectId} tick={tick} />
          </section>
        ))
      )}
    </>
  );
}
