// The drop target for review bundles: a zip dropped (or chosen) here is sent to the engine in parts
// and checked against its manifest there before anything is stored.
import { useState, type DragEvent } from 'react';
import type { ReviewBundle } from '../../../shared/domain/review';
import { useApp, useClient } from '../../store/context';

const PART_BYTES = 2 * 1024 * 1024;

function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

export function BundleImport({ onImported }: { onImported: (b: ReviewBundle) => void }) {
  const client = useClient();
  const notify = useApp((s) => s.notify);
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const send = async (file: File) => {
    setBusy(true);
    setError(null);
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      let uploadId: string | undefined;
      let bundle: ReviewBundle | null = null;
      for (let at = 0; at < bytes.length || at === 0; at += PART_BYTES) {
        const done = at + PART_BYTES >= bytes.length;
        const r = await client.call('reviews.upload', { ...(uploadId ? { uploadId } : {}), dataBase64: toBase64(bytes.subarray(at, at + PART_BYTES)), done, fileName: file.name });
        uploadId = r.uploadId;
        bundle = r.bundle;
        if (done) break;
      }
      if (bundle) {
        notify('info', `Imported the review bundle of ${bundle.projectName} (${bundle.suite}).`);
        onImported(bundle);
      }
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  const drop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const file = e.dataTransfer.files[0];
    if (file) void send(file);
  };

  return (
    <div
      className={over ? 'drop-zone over' : 'drop-zone'}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={drop}
    >
      <p>
        {busy ? 'Checking the bundle…' : 'Drop a review bundle (.zip) here, or'}{' '}
        {!busy && (
          <label className="link-like">
            choose a file
            <input
              type="file"
              accept=".zip"
              aria-label="Review bundle"
              className="visually-hidden"
              onChange={(e) => {
                const file = e.target.files?.[0];
                if (file) void send(file);
                e.target.value = '';
              }}
            />
          </label>
        )}
      </p>
      <p className="muted">Every file is checked against the bundle's manifest first; nothing needs a host or the network.</p>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
