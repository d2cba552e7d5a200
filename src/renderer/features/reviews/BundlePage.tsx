// A review bundle on the reviewer's machine: its report (the same renderer as everywhere), the
// decisions signed here with their verification, and the red button.
import { useCallback, useEffect, useState } from 'react';
import type { BundleManifest, ReviewBundle } from '../../../shared/domain/review';
import type { TestReport } from '../../../shared/domain/testing';
import { ClientError } from '../../api/client';
import { BackLink } from '../../components/BackLink';
import { PageNotReady } from '../../components/PageNotReady';
import { useChanges } from '../../api/use-changes';
import { useApp, useClient } from '../../store/context';
import { DecideDialog } from './DecideDialog';
import { ReportView } from './ReportView';

export function BundlePage({ bundleId }: { bundleId: string }) {
  const client = useClient();
  const notifyError = useApp((s) => s.notifyError);
  const [data, setData] = useState<{ bundle: ReviewBundle; manifest: BundleManifest; report: TestReport } | null>(null);
  const [missing, setMissing] = useState<string | null>(null);
  const [deciding, setDeciding] = useState(false);
  const load = useCallback(() => {
    client.call('reviews.get', { bundle: bundleId }).then(setData, (err) => {
      if (err instanceof ClientError && err.code === 'BUNDLE_NOT_FOUND') setMissing(err.message);
      else notifyError(err);
    });
  }, [client, bundleId, notifyError]);
  // A decision signed from the CLI shows without a reload (decisions are told as project changes).
  const changes = useChanges('projects.changed');
  useEffect(load, [load, changes]);

  const back = <BackLink to={{ area: 'reviews' }} label="Reviews" />;
  if (missing || !data) return <PageNotReady back={back} missing={missing ? { title: 'Bundle not found', message: missing } : null} />;
  const { bundle, manifest, report } = data;
  return (
    <>
      {back}
      <header className="page-header">
        <h1>
          Review: {bundle.projectName} <span className={`verdict verdict-${(bundle.verdict ?? 'none').toLowerCase()}`}>{bundle.verdict ?? '—'}</span>
        </h1>
        <div className="toolbar">
          <button type="button" className="red-button" onClick={() => setDeciding(true)}>
            Decide and sign…
          </button>
        </div>
      </header>
      {bundle.decisions.length > 0 && (
        <section className="card wide" aria-label="Decisions signed here">
          <h2>Decisions signed here</h2>
          {bundle.decisions.map((d) => (
            <div key={d.digest} className="decision-line">
              <strong>{d.decision}</strong> by {d.reviewer} · <span className="mono">{d.digest.slice(0, 23)}…</span>{' '}
              <span className={d.verified ? 'signature-ok' : 'signature-bad'} title={d.problem ?? undefined}>
                {d.verified ? '✓ signature verified' : `✗ ${d.problem}`}
              </span>
            </div>
          ))}
        </section>
      )}
      <ReportView report={report} />
      {deciding && <DecideDialog bundleId={bundle.id} manifest={manifest} report={report} onClose={() => setDeciding(false)} onSigned={load} />}
    </>
  );
}
