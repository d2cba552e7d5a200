// Every stored metric point of a run as CSV or JSONL (no sampling). Very large runs are better exported with the CLI.
import type { Run } from '../../../shared/domain/run';
import { METRICS_CSV_HEADER, metricPointLine } from '../../../shared/metric-export';
import { exportText } from '../../charts/export';
import { useApp, useClient } from '../../store/context';

const UI_LIMIT = 2_000_000;

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
      const lines = points.map((p) => metricPointLine(p, format));
      const text = [...(format === 'csv' ? [METRICS_CSV_HEADER] : []), ...lines].join('\n') + '\n';
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
