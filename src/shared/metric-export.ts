// One line per metric point, for CSV and JSONL export: the CLI and the app write exactly the same bytes.
import type { MetricPoint } from './domain/run';

export const METRICS_CSV_HEADER = 'stream,seq,ts,step,kind,name,value';

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function metricPointLine(p: MetricPoint, format: 'csv' | 'jsonl'): string {
  return format === 'csv' ? [p.stream, p.seq, p.ts, p.step, p.kind, p.name, p.value].map(csvCell).join(',') : JSON.stringify(p);
}
