// Config of the compared runs against a baseline: recipe, host and every (nested) parameter; "diff only" hides what matches.
import { useMemo, useState } from 'react';
import type { TableRowOut } from '../../../shared/domain/runs-table';
import { runColor } from './colors';
import { flatten } from './config-flatten';

export function ConfigDiff({ runs }: { runs: TableRowOut[] }) {
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
                  <span
                    className="swatch"
                    style={{
                      background: runColor(
                        r.id,
                        runs.map((x) => x.id),
                      ),
                    }}
                  />{' '}
                  {r.id.slice(-8)}
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
          </tbody>
        </table>
      )}
    </section>
  );
}
