// Every stored metric point of a run as CSV or JSONL (no sampling). Very large runs are better exported with the CLI.
import type { Run } from '../../../shared/domain/run';
import { exportText } from '../../charts/export';
import { useApp, useClient } from '../../store/context';

const UI_LIMIT = 2_000_000;

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function ExportMetrics({ run }: { run: Run }) {
  const client = useClient();
  const notify = useApp((s) => s.notify);
  const notifyError = useApp((s) => s.notifyError);
  const save = async (format: 'csv' | 'jsonl') => {
    if (run.metricPoints > UI_LIMIT) {
      notify('error', `This run has ${run.metricPoints.toLocaleString()} points; export it with \`tunebench run metrics ${run.id} --format ${format}\`.`);
      return;
    }
    try {
      const points = await client.call('runs.metrics', { id: run.id });
      const text =
        format === 'csv'
          ? ['stream,seq,ts,step,kind,name,value', ...points.map((p) => [p.stream, p.seq, p.ts, p.step, p.kind, p.name, p.value].map(csvCell).join(','))].join('\n') + '\n'
          : points.map((p) => JSON.stringify(p)).join('\n') + '\n';
      exportText(text, `${run.id}-metrics.${format}`, format === 'csv' ? 'text/csv' : 'application/x-ndjson');
    } catch (err) {
      notifyError(err);
    }
  };
  if (run.metricPoints === 0) return null;
  return (
    <>
      <button type="button" onClick={() => void save('csv')}>
        Export CSV
      </button>
      <button type="button" onClick={() => void save('jsonl')}>
        Export JSONL
      </button>
    </>
  );
}
