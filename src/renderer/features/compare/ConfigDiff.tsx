// Config of the compared runs against a baseline: recipe, host and every (nested) parameter; "diff only"
// hides what matches. Below them, each metric's summary (best, last) so the outcome sits beside the cause.
import { useMemo, useState } from 'react';
import type { TableRowOut } from '../../../shared/domain/runs-table';
import type { CurveStyle } from './colors';
import { flatten } from './config-flatten';

const number = (v: number | null | undefined) =>
  v === null || v === undefined ? '—' : Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : Number(v.toPrecision(5)).toString();

/** Summary rows: metric.min and metric.last for every metric a run logged (min is "best" for losses). */
function summaryRows(runs: TableRowOut[]): { key: string; values: Map<string, string> }[] {
  const metrics = [...new Set(runs.flatMap((r) => Object.keys(r.summaries)))].sort();
  return metrics.flatMap((m) => (['min', 'max', 'last'] as const).map((k) => ({ key: `${m}.${k}`, values: new Map(runs.map((r) => [r.id, number(r.summaries[m]?.[k])])) })));
}

export function ConfigDiff({ runs, styles }: { runs: TableRowOut[]; styles?: Map<string, CurveStyle> }) {
  const [baseline, setBaseline] = useState(runs[0]?.id ?? '');
  const [diffOnly, setDiffOnly] = useState(true);
  const flat = useMemo(() => new Map(runs.map((r) => [r.id, { recipe: r.recipe, host: r.hostName, ...flatten(r.params, 'params') }] as const)), [runs]);
  const keys = useMemo(() => [...new Set(runs.flatMap((r) => Object.keys(flat.get(r.id)!)))].sort(), [runs, flat]);
  const base = flat.get(baseline) ?? flat.get(runs[0]?.id ?? '');
  const shown = keys.filter((k) => !diffOnly || runs.some((r) => flat.get(r.id)![k as 'recipe'] !== base?.[k as 'recipe']));
  return (
    <section className="card wide" aria-labelledby="config-heading">
      <div className="card-header">
        <h2 id="config-heading">Config</h2>
        <div className="toolbar">
          <label className="checkbox">
            Baseline
            <select aria-label="Baseline run" value={baseline} onChange={(e) => setBaseline(e.target.value)} className="project-select">
              {runs.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.id.slice(-8)}
                </option>
              ))}
            </select>
          </label>
          <label className="checkbox">
            <input type="checkbox" checked={diffOnly} onChange={(e) => setDiffOnly(e.target.checked)} />
            Differences only
          </label>
        </div>
      </div>
      {shown.length === 0 ? (
        <p className="muted">These runs have the same recipe, host and parameters{diffOnly ? '' : ''}.</p>
      ) : (
        <table className="data-table" aria-label="Config differences">
          <thead>
            <tr>
              <th scope="col">Key</th>
              {runs.map((r) => (
                <th scope="col" key={r.id}>
                  <span className="swatch" style={{ background: styles?.get(r.id)?.color }} /> {r.id.slice(-8)}
                  {r.id === baseline ? ' (baseline)' : ''}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((k) => (
              <tr key={k}>
                <td className="mono">{k}</td>
                {runs.map((r) => {
                  const v = flat.get(r.id)![k as 'recipe'];
                  return (
                    <td key={r.id} className={v !== base?.[k as 'recipe'] ? 'mono differs' : 'mono'}>
                      {v ?? '—'}
                    </td>
                  );
                })}
              </tr>
            ))}
            <tr className="config-section">
              <th scope="rowgroup" colSpan={runs.length + 1}>
                Metrics (min, max, last)
              </th>
            </tr>
            {summaryRows(runs).map((row) => (
              <tr key={row.key}>
                <td className="mono">{row.key}</td>
                {runs.map((r) => (
                  <td key={r.id} className="mono num">
                    {row.values.get(r.id)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
