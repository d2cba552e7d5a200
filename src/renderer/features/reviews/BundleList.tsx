// Review bundles made or imported here, with the decisions signed on each and whether they verify.
import type { ReviewBundle } from '../../../shared/domain/review';
import { formatShortTime } from '../../format';
import { useApp } from '../../store/context';

export function BundleList({ bundles }: { bundles: ReviewBundle[] }) {
  const navigate = useApp((s) => s.navigate);
  if (bundles.length === 0) return <p className="muted">No review bundles yet.</p>;
  return (
    <table className="data-table" aria-label="Review bundles">
      <thead>
        <tr>
          <th>Project</th>
          <th>Verdict</th>
          <th>Suite</th>
          <th>Candidate</th>
          <th>Decisions signed here</th>
          <th>Bundle</th>
          <th>Added</th>
        </tr>
      </thead>
      <tbody>
        {bundles.map((b) => (
          <tr key={b.id}>
            <td>
              <a
                href={`#/reviews/bundle/${b.id}`}
                onClick={(e) => {
                  e.preventDefault();
                  navigate({ area: 'reviews', bundleId: b.id });
                }}
              >
                {b.projectName}
              </a>
            </td>
            <td>{b.verdict ? <span className={`verdict verdict-${b.verdict.toLowerCase()}`}>{b.verdict}</span> : '—'}</td>
            <td className="mono">{b.suite}</td>
            <td className="mono">{b.candidate.slice(-8)}</td>
            <td>
              {b.decisions.length === 0
                ? '—'
                : b.decisions.map((d) => (
                    <div key={d.digest} className="decision-line">
                      <strong>{d.decision}</strong> by {d.reviewer}{' '}
                      <span className={d.verified ? 'signature-ok' : 'signature-bad'} title={d.problem ?? d.digest}>
                        {d.verified ? '✓ signature verified' : '✗ does not verify'}
                      </span>
                    </div>
                  ))}
            </td>
            <td className="mono" title={b.id}>
              {b.origin === 'imported' ? 'imported ' : 'exported '}
              {b.id.slice(0, 10)}…
            </td>
            <td className="nowrap">{formatShortTime(b.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
