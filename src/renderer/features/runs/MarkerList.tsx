// What the run ran into, found at ingest. Choosing a marker shows it in both places it has: the log
// (jumps to its line) and the charts (zooms to its step); the place it was not found in comes from the
// log's clock, so it is about a second off at most.
import { useEffect, useRef, useState } from 'react';
import type { MarkerOut, Run } from '../../../shared/domain/run';
import { useClient } from '../../store/context';

const LABEL: Record<MarkerOut['kind'], string> = {
  nan_loss: 'NaN loss',
  loss_spike: 'loss spike',
  cuda_oom: 'CUDA out of memory',
  traceback: 'traceback',
  nccl_error: 'NCCL error',
  restart: 'restart',
};

export interface ChartMark {
  step: number;
  label: string;
  line: number | null;
}

export function MarkerList({ run, onLine, onStep, onMarkers }: { run: Run; onLine: (line: number) => void; onStep: (step: number) => void; onMarkers?: (marks: ChartMark[]) => void }) {
  const client = useClient();
  // The markers with the run they are of: another run's are neither listed nor handed to the charts.
  const [found, setFound] = useState<{ runId: string; markers: MarkerOut[] }>({ runId: run.id, markers: [] });
  const [error, setError] = useState<string | null>(null);
  const shownRun = useRef(run.id);
  shownRun.current = run.id;
  useEffect(() => {
    const runId = run.id;
    client.call('runs.markers', { id: runId }).then(
      (list) => {
        if (shownRun.current !== runId) return; // the page moved to another run meanwhile
        setFound({ runId, markers: list });
        setError(null);
        onMarkers?.(list.filter((m) => m.step !== null).map((m) => ({ step: m.step!, label: LABEL[m.kind], line: m.line })));
      },
      (err: unknown) => shownRun.current === runId && setError(err instanceof Error ? err.message : String(err)),
    );
  }, [client, run.id, run.logLines, run.metricPoints]); // eslint-disable-line react-hooks/exhaustive-deps
  const markers = found.runId === run.id ? found.markers : [];
  if (error) {
    return (
      <p className="form-error" role="alert">
        Could not load this run's markers: {error}
      </p>
    );
  }
  if (markers.length === 0) return null;
  return (
    <section className="card wide markers" aria-label="Markers">
      <h2>Markers</h2>
      <ul>
        {markers.map((m, i) => (
          <li key={i} className={`marker marker-${m.kind}`}>
            <button
              type="button"
              onClick={() => {
                if (m.line !== null) onLine(m.line);
                if (m.step !== null) onStep(m.step);
              }}
            >
              <strong>{LABEL[m.kind]}</strong> {m.from === 'log' ? `line ${m.line}` : `step ${m.step}`}
              {m.from === 'log' && m.step !== null && <span className="muted"> · step ≈{m.step}</span>}
              {m.from === 'metrics' && m.line !== null && <span className="muted"> · line ≈{m.line}</span>}
            </button>
            {/* A traceback's detail is the exception it ended with ("ValueError: ..."): the line worth reading first. */}
            <span className={m.kind === 'traceback' ? 'mono clip marker-exception' : 'muted clip'} title={m.detail}>
              {m.detail}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
