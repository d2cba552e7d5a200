// One run: its status and parameters (and its SLURM job on a cluster), a live log and live charts, and a
// cancel button (which also takes a job out of a cluster's queue).
import { useState } from 'react';
import { BackLink } from '../../components/BackLink';
import { FINAL_STATUSES } from '../../../shared/domain/run';
import { useApp, useClient } from '../../store/context';
import { formatTime } from '../../format';
import { CandidateActions } from './CandidateActions';
import { ExportMetrics } from './ExportMetrics';
import { JobDetails } from './JobDetails';
import { LogView } from './LogView';
import { MarkerList, type ChartMark } from './MarkerList';
import { RunCharts } from './RunCharts';
import { StatusBadge } from './StatusBadge';

export function RunDetailPage({ runId }: { runId: string }) {
  const run = useApp((s) => s.runs.find((r) => r.id === runId));
  const loaded = useApp((s) => s.runsLoaded);
  const notifyError = useApp((s) => s.notifyError);
  const refreshRun = useApp((s) => s.refreshRun);
  const client = useClient();
  const [cancelling, setCancelling] = useState(false);
  const [jump, setJump] = useState<{ line: number; at: number } | undefined>();
  const [focusStep, setFocusStep] = useState<{ step: number; at: number } | undefined>();
  const [marks, setMarks] = useState<ChartMark[]>([]);

  const back = <BackLink to={{ area: 'runs' }} label="Runs" />;
  if (!run) {
    return (
      <>
        {back}
        <p className="muted" role="status">
          {loaded ? `No run with id ${runId}.` : 'Loading…'}
        </p>
      </>
    );
  }
  const cancel = async () => {
    setCancelling(true);
    try {
      await client.call('runs.cancel', { id: run.id });
      await refreshRun(run.id);
    } catch (err) {
      notifyError(err);
    } finally {
      setCancelling(false);
    }
  };
  const final = FINAL_STATUSES.includes(run.status);
  return (
    <>
      {back}
      <header className="page-header">
        <h1>
          <span className="mono">{run.id}</span> <StatusBadge run={run} />
        </h1>
        <div className="toolbar">
          {!final && (
            <button type="button" className="danger" onClick={() => void cancel()} disabled={cancelling || run.status === 'CANCELLING'}>
              {run.status === 'CANCELLING' ? 'Cancelling…' : 'Cancel run'}
            </button>
          )}
          <ExportMetrics run={run} />
          <CandidateActions run={run} />
        </div>
      </header>
      <dl className="meta">
        <dt>Recipe</dt>
        <dd>{run.recipe}</dd>
        <dt>Host</dt>
        <dd>
          {run.hostName} <span className="mono muted">{run.remoteDir}</span>
        </dd>
        {run.job && <JobDetails job={run.job} ended={final} />}
        <dt>Started</dt>
        <dd>{formatTime(run.createdAt)}</dd>
        <dt>Exit code</dt>
        <dd>{run.exitCode ?? '—'}</dd>
        <dt>Stored</dt>
        <dd>
          {run.logLines} log lines, {run.metricPoints} metric points{run.malformedLines ? `, ${run.malformedLines} malformed lines skipped` : ''}
        </dd>
        {run.lastError && (
          <>
            <dt>Last error</dt>
            <dd>{run.lastError}</dd>
          </>
        )}
        <dt>Parameters</dt>
        <dd className="mono params-line">
          {Object.entries(run.params)
            .map(([k, v]) => `${k}=${String(v)}`)
            .join('  ')}
        </dd>
      </dl>
      <MarkerList run={run} onLine={(line) => setJump({ line, at: Date.now() })} onStep={(step) => setFocusStep({ step, at: Date.now() })} onMarkers={setMarks} />
      <RunCharts run={run} focusStep={focusStep} marks={marks} onMark={(mark) => mark.line !== null && setJump({ line: mark.line, at: Date.now() })} />
      <LogView run={run} jump={jump} />
    </>
  );
}
