// One run: its status and parameters (and its SLURM job on a cluster), when it started and ended, a live
// log and live charts, a cancel button behind a confirmation (which also takes a job out of a cluster's
// queue), and a relaunch that opens the launch dialog with the run's settings.
import { useState } from 'react';
import { BackLink } from '../../components/BackLink';
import { Modal } from '../../components/Modal';
import { FINAL_STATUSES, type Run } from '../../../shared/domain/run';
import { useApp, useClient } from '../../store/context';
import { formatTime } from '../../format';
import { CandidateActions } from './CandidateActions';
import { formatDuration } from './duration';
import { ExportMetrics } from './ExportMetrics';
import { JobDetails } from './JobDetails';
import { LaunchDialog } from './LaunchDialog';
import { LogView } from './LogView';
import { MarkerList, type ChartMark } from './MarkerList';
import { RunCharts } from './RunCharts';
import { StatusBadge } from './StatusBadge';
import './run-page.css';

/** Runs made by `demo seed` ran nowhere: they have no host to reach and no run directory. */
export const isSynthetic = (run: Run) => run.remoteDir.startsWith('synthetic:');

export function RunDetailPage({ runId }: { runId: string }) {
  const run = useApp((s) => s.runs.find((r) => r.id === runId));
  const loaded = useApp((s) => s.runsLoaded);
  const notifyError = useApp((s) => s.notifyError);
  const refreshRun = useApp((s) => s.refreshRun);
  const navigate = useApp((s) => s.navigate);
  const client = useClient();
  const [cancelling, setCancelling] = useState(false);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [relaunching, setRelaunching] = useState(false);
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
    setConfirmCancel(false);
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
  const synthetic = isSynthetic(run);
  return (
    <>
      {back}
      <header className="page-header">
        <h1>
          {run.name && <span>{run.name}</span>} <span className={run.name ? 'mono run-page-id' : 'mono'}>{run.id}</span> <StatusBadge run={run} />
        </h1>
        <div className="toolbar">
          {!final && (
            <button type="button" className="danger" onClick={() => setConfirmCancel(true)} disabled={cancelling || run.status === 'CANCELLING'}>
              {run.status === 'CANCELLING' || cancelling ? 'Cancelling…' : 'Cancel run'}
            </button>
          )}
          {run.kind === 'train' && (
            <button type="button" onClick={() => setRelaunching(true)}>
              Relaunch…
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
          {synthetic ? (
            <span className="muted">
              none: a demo run made by <code>demo seed</code>
            </span>
          ) : (
            <>
              {run.hostName} <span className="mono muted">{run.remoteDir}</span>
            </>
          )}
        </dd>
        {run.job && <JobDetails job={run.job} ended={final} />}
        <dt>Started</dt>
        <dd>{formatTime(run.createdAt)}</dd>
        {/* One row for the end and the duration: the page's charts stay within the first screen. */}
        <dt>Ended</dt>
        <dd>
          {run.endedAt !== null ? (
            <>
              {formatTime(run.endedAt)} <span className="muted">· took</span> <span className="run-duration">{formatDuration(run.endedAt - run.createdAt)}</span>
            </>
          ) : (
            <span className="muted">
              not yet · <RunningFor since={run.createdAt} />
            </span>
          )}
        </dd>
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
      {confirmCancel && (
        <Modal title={`Cancel run ${run.id}?`} onClose={() => setConfirmCancel(false)}>
          <p>
            The run is stopped on {run.hostName}
            {run.job ? ` (SLURM job ${run.job.jobId} leaves the queue)` : ''}. What it logged so far stays in the tracker; the run cannot be resumed, only launched again.
          </p>
          <div className="dialog-actions">
            <button type="button" onClick={() => setConfirmCancel(false)}>
              Keep running
            </button>
            <button type="button" className="danger" onClick={() => void cancel()}>
              Cancel run
            </button>
          </div>
        </Modal>
      )}
      {relaunching && (
        <LaunchDialog
          title={`Relaunch ${run.id}`}
          start={{
            project: run.projectId,
            host: synthetic ? 'local' : run.hostName,
            recipe: run.recipe,
            params: run.params,
            ...(run.job ? { resources: run.job.resources } : {}),
          }}
          onClose={() => setRelaunching(false)}
          onLaunched={(ids) => {
            setRelaunching(false);
            if (ids.length === 1) navigate({ area: 'runs', runId: ids[0]! });
          }}
        />
      )}
    </>
  );
}

/** "running for 3 min 5 s", from the run's start; refreshed by the page's updates, not by a timer of its own. */
function RunningFor({ since }: { since: number }) {
  return <span className="run-duration">running for {formatDuration(Date.now() - since)}</span>;
}
