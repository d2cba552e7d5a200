// One line per metric point, for CSV and JSONL export: the CLI and the app write exactly the same bytes.
import type { MetricPoint } from './domain/run';

export const METRICS_CSV_HEADER = 'stream,seq,ts,step,kind,name,value';

/**
 * One CSV cell. Text that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a
 * leading apostrophe (OWASP's advice), and quotes, commas and line breaks (\n and \r) are quoted.
 * Numbers are written as they are: -0.5 is a value, not a formula.
 */
export function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function metricPointLine(p: MetricPoint, format: 'csv' | 'jsonl'): string {
  return format === 'csv' ? [p.stream, p.seq, p.ts, p.step, p.kind, p.name, p.value].map(csvCell).join(',') : JSON.stringify(p);
}
