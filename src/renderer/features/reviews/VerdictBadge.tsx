// A test run's verdict (PASS, FAIL, INCONCLUSIVE) or, before one is known, its status.
import type { TestRunSummary } from '../../../shared/domain/testing';

export function VerdictBadge({ test }: { test: Pick<TestRunSummary, 'verdict' | 'status'> }) {
  if (!test.verdict) return <span className="verdict verdict-none">{test.status.toLowerCase()}</span>;
  const live = !['SUCCEEDED', 'FAILED', 'CANCELLED', 'LOST'].includes(test.status);
  return (
    <span className={`verdict verdict-${test.verdict.toLowerCase()}`} title={live ? 'So far: cases are still arriving' : undefined}>
      {test.verdict}
      {live && <span className="verdict-live"> so far</span>}
    </span>
  );
}
