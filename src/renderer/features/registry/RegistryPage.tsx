// Registries: their models, versions, aliases with history, verification, and pushes in flight.
import { useEffect, useState } from 'react';
import type { Push, Registry } from '../../../shared/domain/registry';
import { EmptyState } from '../../components/EmptyState';
import { formatShortTime } from '../../format';
import { useChanges } from '../../api/use-changes';
import { useApp, useClient } from '../../store/context';
import { AddRegistryDialog } from './AddRegistryForm';
import { RegistryModels } from './RegistryModels';

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

export function RegistryPage() {
  const client = useClient();
  const notifyError = useApp((s) => s.notifyError);
  const [registries, setRegistries] = useState<Registry[] | null>(null);
  const [pushes, setPushes] = useState<Push[]>([]);
  const [adding, setAdding] = useState(false);
  const [ownTick, setTick] = useState(0);
  // Registries added or removed elsewhere (the CLI), and pushes that ended, show without a reload.
  const tick = ownTick + useChanges('registries.changed');
  useEffect(() => {
    client.call('registries.list', {}).then(setRegistries, (err: unknown) => {
      setRegistries([]);
      notifyError(err);
    });
    client.call('registries.pushes', {}).then(setPushes, notifyError);
  }, [client, tick, notifyError]);
  useEffect(
    () =>
      client.on('registry.pushProgress', (p) => {
        setPushes((list) => [p, ...list.filter((x) => x.id !== p.id)]);
        if (p.status !== 'running') setTick((t) => t + 1);
      }),
    [client],
  );

  return (
    <>
      <header className="page-header">
        <h1>Registry</h1>
        <div className="toolbar">
          <button type="button" className="primary" onClick={() => setAdding(true)}>
            Add registry
          </button>
        </div>
      </header>
      {registries === null ? (
        <p className="muted">Loading…</p>
      ) : registries.length === 0 ? (
        <EmptyState title="No registries yet">
          <p>Add an OCI registry (Docker registry, Harbor, GHCR, Zot) or a folder on an SSH host, then push approved models to it.</p>
        </EmptyState>
      ) : (
        registries.map((r) => (
          <section className="card wide" key={r.id} aria-label={`Registry ${r.name}`}>
            <h2>
              {r.name} <span className="muted mono">{r.location}</span>
            </h2>
            <RegistryModels registry={r.name} tick={tick} />
          </section>
        ))
      )}
      {pushes.length > 0 && (
        <section className="card wide" aria-label="Pushes">
          <h2>Pushes</h2>
          <table className="data-table" aria-label="Pushes">
            <thead>
              <tr>
                <th>Model</th>
                <th>Registry</th>
                <th>State</th>
                <th>Progress</th>
                <th>Started</th>
              </tr>
            </thead>
            <tbody>
              {pushes.map((p) => (
                <tr key={p.id}>
                  <td className="mono">
                    {p.model}@{p.version}
                  </td>
                  <td>{p.registry}</td>
                  <td title={p.error ?? undefined}>{p.status}</td>
                  <td>
                    <progress max={p.bytesTotal || 1} value={p.bytesDone} /> {mib(p.bytesDone)} of {mib(p.bytesTotal)}
                    {p.rateBytesPerSecond ? `, ${mib(p.rateBytesPerSecond)}/s` : ''}
                    {p.secondsLeft !== null ? `, ${p.secondsLeft} s left` : ''}
                  </td>
                  <td className="nowrap">{formatShortTime(p.startedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {adding && <AddRegistryDialog onClose={() => setAdding(false)} onAdded={() => setTick((t) => t + 1)} />}
    </>
  );
}
