// Hosts: this machine, SSH workstations and SLURM clusters; add one, trust its key after checking the
// fingerprint, probe it, change it, remove it.
import { useState } from 'react';
import { ClientError } from '../../api/client';
import { Modal } from '../../components/Modal';
import { useApp, useClient } from '../../store/context';
import type { Host } from '../../../shared/domain/host';
import { AddHostDialog } from './AddHostDialog';
import { EditHostDialog } from './EditHostDialog';
import { ImportDialog } from './ImportDialog';
import { PassphraseDialog } from './PassphraseDialog';
import { ProbePanel } from './ProbePanel';
import { RemoveHostDialog } from './RemoveHostDialog';
import './hosts.css';

interface KeyProblem {
  hostName: string;
  code: string;
  message: string;
  presented: string;
  keyType?: string;
}

export function HostsPage() {
  const hosts = useApp((s) => s.hosts);
  const loadHosts = useApp((s) => s.loadHosts);
  const notify = useApp((s) => s.notify);
  const notifyError = useApp((s) => s.notifyError);
  const client = useClient();
  const [adding, setAdding] = useState(false);
  const [probing, setProbing] = useState<string | null>(null);
  // Kept in the store: the launch dialog offers a cluster's partitions from its last probe.
  const probes = useApp((s) => s.probes);
  const setProbe = useApp((s) => s.setProbe);
  const probedAt = useApp((s) => s.probedAt);
  const [keyProblem, setKeyProblem] = useState<KeyProblem | null>(null);
  const [locked, setLocked] = useState<{ hostName: string; keyFile: string } | null>(null);
  const [importing, setImporting] = useState(false);
  const [editing, setEditing] = useState<Host | null>(null);
  const [removing, setRemoving] = useState<Host | null>(null);

  const probe = async (name: string) => {
    setProbing(name);
    try {
      const result = await client.call('hosts.probe', { ref: name });
      setProbe(name, result);
    } catch (err) {
      if (err instanceof ClientError && (err.code === 'HOST_KEY_UNKNOWN' || err.code === 'HOST_KEY_MISMATCH')) {
        const d = err.info.details as { presented: string; keyType?: string };
        setKeyProblem({ hostName: name, code: err.code, message: err.message, presented: d.presented, ...(d.keyType ? { keyType: d.keyType } : {}) });
      } else if (err instanceof ClientError && err.code === 'PASSPHRASE_REQUIRED') {
        setLocked({ hostName: name, keyFile: (err.info.details as { keyFile: string }).keyFile });
      } else notifyError(err);
    } finally {
      setProbing(null);
    }
  };

  const trust = async (problem: KeyProblem) => {
    try {
      await client.call('hosts.trust', { ref: problem.hostName, fingerprint: problem.presented });
      setKeyProblem(null);
      notify('info', `Trusted ${problem.hostName}.`);
      await probe(problem.hostName);
    } catch (err) {
      notifyError(err);
    }
  };

  return (
    <>
      <header className="page-header">
        <h1>Hosts</h1>
        <div className="toolbar">
          <button type="button" onClick={() => setImporting(true)}>
            Import from SSH config
          </button>
          <button type="button" className="primary" onClick={() => setAdding(true)}>
            Add SSH host
          </button>
        </div>
      </header>
      <table className="data-table" aria-label="Hosts">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Address</th>
            <th scope="col">Python</th>
            <th scope="col">Run root</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {hosts.map((h) => (
            <tr key={h.id}>
              <td>
                <strong>{h.name}</strong>
              </td>
              <td>{h.kind === 'local' ? 'this machine' : h.slurm ? 'SLURM cluster' : 'SSH'}</td>
              <td className="mono">{h.kind === 'local' ? '—' : `${h.user}@${h.hostname}:${h.port}${h.proxyJump ? ` via ${h.proxyJump}` : ''}`}</td>
              <td className="mono">{h.python}</td>
              <td className="mono clip">{h.runRoot}</td>
              <td>
                <div className="host-actions">
                  <button type="button" onClick={() => void probe(h.name)} disabled={probing === h.name} aria-label={`Probe ${h.name}`}>
                    {probing === h.name ? 'Probing…' : 'Probe'}
                  </button>
                  <button type="button" onClick={() => setEditing(h)} aria-label={`Edit ${h.name}`}>
                    Edit
                  </button>
                  {h.kind !== 'local' && (
                    <button type="button" className="danger" onClick={() => setRemoving(h)} aria-label={`Remove ${h.name}`}>
                      Remove
                    </button>
                  )}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {/* A host removed (here or from the CLI) takes its last probe with it. */}
      {Object.entries(probes)
        .filter(([name]) => hosts.some((h) => h.name === name))
        .map(([name, p]) => (
          <ProbePanel key={name} name={name} probe={p} probedAt={probedAt[name]} />
        ))}
      {adding && (
        <AddHostDialog
          onClose={() => setAdding(false)}
          onAdded={(name) => {
            setAdding(false);
            void loadHosts();
            void probe(name);
          }}
        />
      )}
      {editing && <EditHostDialog host={editing} onClose={() => setEditing(null)} />}
      {removing && <RemoveHostDialog host={removing} onClose={() => setRemoving(null)} />}
      {locked && (
        <PassphraseDialog
          keyFile={locked.keyFile}
          onClose={() => setLocked(null)}
          onUnlocked={() => {
            const name = locked.hostName;
            setLocked(null);
            void probe(name);
          }}
        />
      )}
      {importing && (
        <ImportDialog
          onClose={() => setImporting(false)}
          onImported={() => {
            setImporting(false);
            void loadHosts();
          }}
        />
      )}
      {keyProblem && (
        <Modal title={keyProblem.code === 'HOST_KEY_MISMATCH' ? `${keyProblem.hostName}: host key changed` : `Trust ${keyProblem.hostName}?`} onClose={() => setKeyProblem(null)}>
          <p>
            {keyProblem.code === 'HOST_KEY_MISMATCH'
              ? keyProblem.message
              : "This server presents a key Tunebench has not seen. Compare its fingerprint with the one the server's administrator gives you (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the server)."}
          </p>
          <p>
            <span className="muted">{keyProblem.keyType ?? 'key'} fingerprint</span>
            <br />
            <code className="fingerprint" aria-label="Presented fingerprint">
              {keyProblem.presented}
            </code>
          </p>
          <div className="dialog-actions">
            <button type="button" onClick={() => setKeyProblem(null)}>
              Cancel
            </button>
            {keyProblem.code === 'HOST_KEY_UNKNOWN' && (
              <button type="button" className="primary" onClick={() => void trust(keyProblem)}>
                Trust this key
              </button>
            )}
          </div>
        </Modal>
      )}
    </>
  );
}
