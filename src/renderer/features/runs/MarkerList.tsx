// What the run ran into, found at ingest. A log marker jumps to its line; a metric marker zooms the loss chart to its step.
import { useEffect, useState } from 'react';
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

export function MarkerList({ run, onLine, onStep, onMarkers }: { run: Run; onLine: (line: number) => void; onStep: (step: number) => void; onMarkers?: (steps: { step: number; label: string }[]) => void }) {
  const client = useClient();
  const [markers, setMarkers] = useState<MarkerOut[]>([]);
  useEffect(() => {
    client.call('runs.markers', { id: run.id }).then((list) => {
      setMarkers(list);
      onMarkers?.(list.filter((m) => m.step !== null).map((m) => ({ step: m.step!, label: LABEL[m.kind] })));
    }, () => {});
  }, [client, run.id, run.logLines, run.metricPoints]); // eslint-disable-line react-hooks/exhaustive-deps
  if (markers.length === 0) return null;
  return (
    <section className="card wide markers" aria-label="Markers">
      <h2>Markers</h2>
      <ul>
        {markers.map((m, i) => (
          <li key={i} className={`marker marker-${m.kind}`}>
            <button type="button" onClick={() => (m.line !== null ? onLine(m.line) : m.step !== null && onStep(m.step))}>
              <strong>{LABEL[m.kind]}</strong> {m.line !== null ? `line ${m.line}` : `step ${m.step}`}
            </button>
            <span className="muted clip">{m.detail}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
