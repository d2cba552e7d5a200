// One test run: its report (live while cases arrive), downloads of the HTML and JSON reports,
// waivers of regressions, and cancel / resume.
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import type { TestReport, TestRunSummary } from '../../../shared/domain/testing';
import { BackLink } from '../../components/BackLink';
import { PageNotReady } from '../../components/PageNotReady';
import { Field } from '../../components/Field';
import { Modal } from '../../components/Modal';
import { ClientError } from '../../api/client';
import { exportText } from '../../charts/export';
import { useApp, useClient } from '../../store/context';
import { ReportView } from './ReportView';
import { VerdictBadge } from './VerdictBadge';

const FINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'LOST'];

export function TestRunPage({ testId }: { testId: string }) {
  const client = useClient();
  const notify = useApp((s) => s.notify);
  const notifyError = useApp((s) => s.notifyError);
  const [test, setTest] = useState<TestRunSummary | null>(null);
  const [report, setReport] = useState<TestReport | null>(null);
  const [missing, setMissing] = useState<string | null>(null);
  const [waiving, setWaiving] = useState(false);
  const loading = useRef(false);
  const again = useRef(false);

  const load = useCallback(async () => {
    // One fetch at a time; a change during it asks for one more afterwards, never a pile.
    if (loading.current) {
      again.current = true;
      return;
    }
    loading.current = true;
    try {
      const [t, r] = await Promise.all([client.call('tests.get', { id: testId }), client.call('tests.report', { id: testId })]);
      setTest(t);
      setReport(r);
    } catch (err) {
      if (err instanceof ClientError && err.code === 'TEST_NOT_FOUND') setMissing(err.message);
      else notifyError(err);
    } finally {
      loading.current = false;
      if (again.current) {
        again.current = false;
        setTimeout(() => void load(), 500);
      }
    }
  }, [client, testId, notifyError]);

  useEffect(() => {
    void load();
    return client.on('runs.changed', (e) => {
      if (e.runId === null || e.runId === testId) void load();
    });
  }, [client, testId, load]);

  const back = <BackLink to={{ area: 'reviews' }} label="Reviews" />;
  if (missing || !test || !report) return <PageNotReady back={back} missing={missing ? { title: 'Test run not found', message: missing } : null} />;
  const final = FINAL.includes(test.status);
  const act = async (what: 'cancel' | 'resume') => {
    try {
      await client.call(what === 'cancel' ? 'tests.cancel' : 'tests.resume', { id: test.id });
      notify('info', what === 'cancel' ? 'Stopping the test run…' : 'Resuming: finished cases are kept.');
      void load();
    } catch (err) {
      notifyError(err);
    }
  };
  const regressions = report.comparison.cases.filter((c) => c.change === 'regression');

  return (
    <>
      {back}
      <header className="page-header">
        <h1>
          Test run <span className="mono">{test.id.slice(-8)}</span> <VerdictBadge test={test} />
        </h1>
        <div className="toolbar">
          <button
            type="button"
            onClick={async () => {
              try {
                const r = await client.call('tests.reportHtml', { id: test.id });
                exportText(r.html, `test-report-${test.id}.html`, 'text/html');
              } catch (err) {
                notifyError(err);
              }
            }}
          >
            Download HTML report
          </button>
          <button type="button" onClick={() => exportText(`${JSON.stringify(report, null, 2)}\n`, `test-report-${test.id}.json`, 'application/json')}>
            Download JSON
          </button>
          {final && test.status === 'SUCCEEDED' && (
            <button
              type="button"
              onClick={async () => {
                try {
                  const r = await client.call('reviews.export', { testRun: test.id });
                  notify('info', `Review bundle saved to ${r.file}. Send it to the reviewer.`);
                } catch (err) {
                  notifyError(err);
                }
              }}
            >
              Export review bundle
            </button>
          )}
          {regressions.length > 0 && (
            <button type="button" onClick={() => setWaiving(true)}>
              Waive a regression…
            </button>
          )}
          {!final && (
            <button type="button" className="danger" onClick={() => void act('cancel')}>
              Cancel
            </button>
          )}
          {final && test.progress.done < test.progress.total && (
            <button type="button" onClick={() => void act('resume')}>
              Resume
            </button>
          )}
        </div>
      </header>
      {test.lastError && <p className="form-error">{test.lastError}</p>}
      {test.disconnected && <p className="muted">The host is unreachable right now; the runner goes on there and the report catches up when the link is back.</p>}
      <ReportView report={report} />
      {waiving && <WaiveDialog test={test} cases={regressions.map((c) => ({ id: c.caseId, critical: c.critical, waived: c.waived }))} onClose={() => setWaiving(false)} onDone={() => void load()} />}
    </>
  );
}

function WaiveDialog({ test, cases, onClose, onDone }: { test: TestRunSummary; cases: { id: string; critical: boolean; waived: string | null }[]; onClose: () => void; onDone: () => void }) {
  const client = useClient();
  const [caseId, setCaseId] = useState(cases.find((c) => !c.waived)?.id ?? cases[0]!.id);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await client.call('tests.waive', { id: test.id, caseId, reason });
      onDone();
      onClose();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <Modal title="Waive a regression" onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <Field label="Case">
          <select value={caseId} onChange={(e) => setCaseId(e.target.value)}>
            {cases.map((c) => (
              <option key={c.id} value={c.id}>
                {c.id}
                {c.critical ? ' (critical)' : ''}
                {c.waived ? ' (waived)' : ''}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Reason" hint="Kept in the report beside the case.">
          <textarea value={reason} onChange={(e) => setReason(e.target.value)} rows={3} required />
        </Field>
        {error && <p className="form-error">{error}</p>}
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!reason.trim()}>
            Waive
          </button>
        </div>
      </form>
    </Modal>
  );
}
