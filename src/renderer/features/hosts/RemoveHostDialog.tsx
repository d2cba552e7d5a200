// Removing a host, once the user confirms: a host that runs still name stays (the engine says so here).
import { useState } from 'react';
import type { Host } from '../../../shared/domain/host';
import { plainMessage } from '../../components/form-errors';
import { Modal } from '../../components/Modal';
import { useApp } from '../../store/context';

export function RemoveHostDialog({ host, onClose }: { host: Host; onClose: () => void }) {
  const removeHost = useApp((s) => s.removeHost);
  const notify = useApp((s) => s.notify);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const remove = async () => {
    setBusy(true);
    try {
      await removeHost(host.name);
      notify('info', `Removed ${host.name}.`);
      onClose();
    } catch (err) {
      setError(plainMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={`Remove ${host.name}?`} onClose={onClose}>
      <p>
        Tunebench forgets <strong>{host.name}</strong> ({host.user}@{host.hostname}) and its last probe. Nothing on the host is deleted, and a host that runs in the tracker used cannot be removed.
      </p>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="danger" onClick={() => void remove()} disabled={busy}>
          {busy ? 'Removing…' : 'Remove host'}
        </button>
      </div>
    </Modal>
  );
}
