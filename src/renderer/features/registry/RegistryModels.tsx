// One registry's models: versions with their verification, aliases with their history, the report,
// and lineage back to the run when this data directory has it.
import { useEffect, useState } from 'react';
import type { RegistryModel, RegistryVerify } from '../../../shared/domain/registry';
import type { TestReport } from '../../../shared/domain/testing';
import { useApp, useClient } from '../../store/context';
import { ReportView } from '../reviews/ReportView';
import { PromoteDialog } from './PromoteDialog';

type Checked = RegistryVerify & { report: string | null };

export function RegistryModels({ registry, tick }: { registry: string; tick: number }) {
  const client = useClient();
  const navigate = useApp((s) => s.navigate);
  const [models, setModels] = useState<RegistryModel[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [checked, setChecked] = useState<Record<string, Checked | 'checking'>>({});
  const [promote, setPromote] = useState<{ model: string; version: string } | null>(null);
  const [report, setReport] = useState<TestReport | null>(null);
  const [mine, setMine] = useState(0);
  useEffect(() => {
    setError(null);
    client.call('registries.models', { name: registry }).then(setModels, (err) => {
      setModels([]);
      setError(err instanceof Error ? err.message : String(err));
    });
  }, [client, registry, tick, mine]);

  const verify = async (model: string, version: string) => {
    const key = `${model}@${version}`;
    setChecked((c) => ({ ...c, [key]: 'checking' }));
    try {
      const v = await client.call('registries.verify', { registry, ref: key });
      setChecked((c) => ({ ...c, [key]: v }));
    } catch (err) {
      setChecked((c) => ({
        ...c,
        [key]: { ok: false, model, version, manifestDigest: null, approval: null, reviewer: null, decision: null, checks: [], summary: err instanceof Error ? err.message : String(err), report: null },
      }));
    }
  };

  if (error)
    return (
      <p className="form-error" role="alert">
        {error}
      </p>
    );
  if (!models) return <p className="muted">Loading…</p>;
  if (models.length === 0) return <p className="muted">No models yet. Push an approved model from the Reviews page or with `tunebench registry push`.</p>;
  return (
    <>
      {models.map((m) => (
        <div key={m.name} className="registry-model">
          <h3 className="mono">{m.name}</h3>
          <table className="data-table" aria-label={`Versions of ${m.name}`}>
            <thead>
              <tr>
                <th>Version</th>
                <th>Aliases</th>
                <th>Verification</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {m.versions.map((v) => {
                const key = `${m.name}@${v.version}`;
                const c = checked[key];
                const lineage = c && c !== 'checking' && c.report ? (JSON.parse(c.report) as TestReport) : null;
                return (
                  <tr key={v.version}>
                    <td className="mono" title={v.manifestDigest ?? undefined}>
                      {v.version}
                    </td>
                    <td>
                      {m.aliases
                        .filter((a) => a.version === v.version)
                        .map((a) => (
                          <span key={a.alias} className="badge">
                            {a.alias}
                          </span>
                        ))}
                    </td>
                    <td>
                      {!c ? (
                        <span className="muted">not checked</span>
                      ) : c === 'checking' ? (
                        'checking…'
                      ) : (
                        <span className={c.ok ? 'signature-ok' : 'signature-bad'} title={c.checks.map((x) => `${x.ok ? 'ok' : 'FAIL'} ${x.name}: ${x.detail}`).join('\n')}>
                          {c.ok ? `✓ approved by ${c.reviewer}` : `✗ ${c.summary}`}
                        </span>
                      )}
                    </td>
                    <td className="nowrap">
                      <button type="button" onClick={() => void verify(m.name, v.version)}>
                        Verify
                      </button>{' '}
                      {lineage && (
                        <>
                          <button type="button" onClick={() => setReport(lineage)}>
                            Report
                          </button>{' '}
                          <button type="button" onClick={() => navigate({ area: 'reviews', testId: lineage.testRun.id })}>
                            Test run
                          </button>{' '}
                          {typeof lineage.provenance.lineage.run === 'string' && (
                            <>
                              <button type="button" onClick={() => navigate({ area: 'runs', runId: lineage.provenance.lineage.run as string })}>
                                Trained run
                              </button>{' '}
                            </>
                          )}
                        </>
                      )}
                      <button type="button" className="red-button" onClick={() => setPromote({ model: m.name, version: v.version })}>
                        Promote…
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {m.history.length > 0 && (
            <ul className="alias-history" aria-label={`Alias history of ${m.name}`}>
              {m.history.map((h, i) => (
                <li key={i}>
                  {h.at.replace('T', ' ').slice(0, 19)} · {h.who} moved <strong>{h.alias}</strong> {h.from ?? '(none)'} → {h.to}
                </li>
              ))}
            </ul>
          )}
        </div>
      ))}
      {promote && <PromoteDialog registry={registry} model={promote.model} version={promote.version} onClose={() => setPromote(null)} onMoved={() => setMine((x) => x + 1)} />}
      {report && (
        <section className="card wide" aria-label="Report">
          <div className="toolbar">
            <button type="button" onClick={() => setReport(null)}>
              Close report
            </button>
          </div>
          <ReportView report={report} />
        </section>
      )}
    </>
  );
}
