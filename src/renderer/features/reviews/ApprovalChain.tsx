// A project's signed decisions in chain order, each verified again (signature, signer's rights,
// evidence, its place in the chain), and importing a reviewer's decision file.
import { useEffect, useState } from 'react';
import type { Approval, VerifyResult } from '../../../shared/domain/review';
import { FilePickButton } from '../../components/FilePickButton';
import { useApp, useClient } from '../../store/context';
import { PushDialog } from './PushDialog';

export function ApprovalChain({ projectId, tick }: { projectId: string; tick: number }) {
  const client = useClient();
  const notify = useApp((s) => s.notify);
  const [approvals, setApprovals] = useState<Approval[]>([]);
  const [verify, setVerify] = useState<VerifyResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [mine, setMine] = useState(0);
  const [pushing, setPushing] = useState<string | null>(null);
  useEffect(() => {
    // A failure is said where the chain would be: an empty chain must not stand for one that failed to load.
    const failed = (what: string) => (err: unknown) => setError(`Could not ${what}: ${err instanceof Error ? err.message : String(err)}`);
    client.call('approvals.list', { project: projectId }).then(setApprovals, failed('list the decisions'));
    client.call('approvals.verify', { project: projectId, chain: true }).then(setVerify, (err: unknown) => {
      setVerify(null);
      failed('verify the chain')(err);
    });
  }, [client, projectId, tick, mine]);

  const importFile = async (file: File) => {
    setError(null);
    try {
      const a = await client.call('approvals.import', { text: await file.text() });
      notify('info', `Recorded: ${a.decision} by ${a.reviewer} (#${a.seq}).`);
      setMine((m) => m + 1);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  const linkOf = (digest: string) => verify?.links.find((l) => l.digest === digest);

  return (
    <div className="approval-chain">
      <h3>Signed decisions</h3>
      {approvals.length === 0 ? (
        <p className="muted">No decisions yet. Export a review bundle from a test run, send it to a reviewer, and import the decision file they send back.</p>
      ) : (
        <table className="data-table" aria-label="Signed decisions">
          <thead>
            <tr>
              <th>#</th>
              <th>Decision</th>
              <th>Reviewer</th>
              <th>Test run</th>
              <th>Verification</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {approvals.map((a) => {
              const link = linkOf(a.digest);
              return (
                <tr key={a.digest}>
                  <td>{a.seq}</td>
                  <td>
                    <strong>{a.decision}</strong>
                    {a.override && <div className="muted">override: {a.override}</div>}
                  </td>
                  <td>{a.reviewer}</td>
                  <td className="mono">{a.testRunId.slice(-8)}</td>
                  <td>
                    {link ? (
                      <span className={link.ok ? 'signature-ok' : 'signature-bad'} title={link.problems.join('; ') || a.digest}>
                        {link.ok ? '✓ verified, chained' : `✗ ${link.problems[0]}`}
                      </span>
                    ) : (
                      '…'
                    )}
                  </td>
                  <td>
                    {a.decision === 'approve' && link?.ok && (
                      <button type="button" onClick={() => setPushing(a.digest)}>
                        Push…
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <div className="toolbar">
        <FilePickButton label="Import a decision file…" accept=".json" ariaLabel="Decision file" onFile={(file) => void importFile(file)} />
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {pushing && <PushDialog approval={pushing} onClose={() => setPushing(null)} />}
    </div>
  );
}
