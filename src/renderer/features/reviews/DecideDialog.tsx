// The red button: a deliberate, signed decision on a review bundle. It shows exactly what is signed
// (the model's digest, the report's, the bundle's), asks for the project's name typed back, needs an
// override reason to approve anything but PASS, and signs in the engine with the reviewer's SSH key.
import { useEffect, useState, type FormEvent } from 'react';
import type { BundleManifest, DecisionFile, DecisionKind } from '../../../shared/domain/review';
import type { TestReport } from '../../../shared/domain/testing';
import { ClientError } from '../../api/client';
import { exportText } from '../../charts/export';
import { DialogActions } from '../../components/DialogActions';
import { Field } from '../../components/Field';
import { formErrorsAt, type FormErrors } from '../../components/form-errors';
import { Modal } from '../../components/Modal';
import { useClient } from '../../store/context';

interface Props {
  bundleId: string;
  manifest: BundleManifest;
  report: TestReport;
  onClose: () => void;
  onSigned: () => void;
}

const KINDS: [DecisionKind, string][] = [
  ['approve', 'Approve'],
  ['request-changes', 'Request changes'],
  ['reject', 'Reject'],
];

export function DecideDialog({ bundleId, manifest, report, onClose, onSigned }: Props) {
  const client = useClient();
  const [decision, setDecision] = useState<DecisionKind>('approve');
  const [comment, setComment] = useState('');
  const [override, setOverride] = useState('');
  const [waive, setWaive] = useState<Record<string, string>>({});
  const [confirm, setConfirm] = useState('');
  const [keys, setKeys] = useState<{ fingerprint: string; keyType: string; comment: string }[]>([]);
  const [key, setKey] = useState('');
  const [keyFile, setKeyFile] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [askPassphrase, setAskPassphrase] = useState(false);
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [busy, setBusy] = useState(false);
  const [signed, setSigned] = useState<{ file: DecisionFile; digest: string; reviewer: string } | null>(null);
  useEffect(() => {
    client.call('signing.keys', {}).then(
      (k) => {
        setKeys(k);
        if (k[0]) setKey(k[0].fingerprint);
      },
      () => setKeys([]),
    );
  }, [client]);

  const regressions = report.comparison.cases.filter((c) => c.change === 'regression' && !c.waived);
  const candidate = manifest.models.find((m) => m.role === 'candidate');
  const waivers = Object.entries(waive)
    .filter(([, reason]) => reason.trim())
    .map(([caseId, reason]) => ({ caseId, reason: reason.trim() }));
  const needsOverride = decision === 'approve' && report.comparison.verdict !== 'PASS';

  const sign = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErrors({ fields: {} });
    try {
      if (keyFile.trim() && askPassphrase && passphrase) await client.call('hosts.unlockKey', { keyFile: keyFile.trim(), passphrase });
      const r = await client.call('reviews.decide', {
        bundle: bundleId,
        decision,
        comment,
        waivers,
        confirm,
        ...(override.trim() ? { override: override.trim() } : {}),
        ...(keyFile.trim() ? { keyFile: keyFile.trim() } : key ? { fingerprint: key } : {}),
      });
      setSigned(r);
      onSigned();
    } catch (err) {
      if (err instanceof ClientError && err.code === 'PASSPHRASE_REQUIRED') setAskPassphrase(true);
      // Beside what it is about: the key, the passphrase, the name typed back, the override; a refusal of the signer under the form.
      setErrors(
        formErrorsAt(err, {
          fields: ['comment', 'override', 'key', 'keyFile', 'passphrase', 'confirm'],
          codes: { PASSPHRASE_REQUIRED: 'passphrase', KEY_NOT_FOUND: keyFile.trim() ? 'keyFile' : 'key', SIGNER_NOT_ALLOWED: keyFile.trim() ? 'keyFile' : 'key' },
          paths: { fingerprint: 'key' },
          sentences: [
            [/type the project's name/i, 'confirm'],
            [/override/i, 'override'],
            [/passphrase/i, 'passphrase'],
          ],
        }),
      );
    } finally {
      setBusy(false);
    }
  };

  if (signed) {
    return (
      <Modal title="Decision signed" onClose={onClose}>
        <p>
          <strong>{decision}</strong> signed as <strong>{signed.reviewer}</strong>.
        </p>
        <dl className="digest-list">
          <dt>Decision</dt>
          <dd>{signed.digest}</dd>
        </dl>
        <p className="muted">Send the decision file to the requester; they import it, and Tunebench checks the signature, your key's rights and the digests before recording it.</p>
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Close
          </button>
          <button type="button" className="primary" onClick={() => exportText(`${JSON.stringify(signed.file, null, 2)}\n`, `decision-${signed.digest.slice(7, 19)}.json`, 'application/json')}>
            Download decision file
          </button>
        </div>
      </Modal>
    );
  }

  return (
    <Modal title="Sign a decision" onClose={onClose} wide>
      <form onSubmit={sign} noValidate>
        <p>
          Verdict <span className={`verdict verdict-${report.comparison.verdict.toLowerCase()}`}>{report.comparison.verdict}</span> — {report.comparison.reason}
        </p>
        <dl className="digest-list" aria-label="What is signed">
          <dt>Model (sha256)</dt>
          <dd>{candidate?.rootDigest ?? 'not hashed'}</dd>
          <dt>Report (sha256)</dt>
          <dd>{manifest.testRun.reportSha256}</dd>
          <dt>Bundle (sha256)</dt>
          <dd>{bundleId}</dd>
          <dt>Follows</dt>
          <dd>{manifest.chain.head ?? 'nothing: the first decision of this project'}</dd>
        </dl>
        <fieldset className="decision-kinds">
          <legend className="visually-hidden">Decision</legend>
          {KINDS.map(([k, label]) => (
            <label key={k}>
              <input type="radio" name="decision" value={k} checked={decision === k} onChange={() => setDecision(k)} /> {label}
            </label>
          ))}
        </fieldset>
        <Field label="Comment" error={errors.fields.comment}>
          <textarea value={comment} onChange={(e) => setComment(e.target.value)} rows={2} />
        </Field>
        {regressions.length > 0 && (
          <fieldset>
            <legend>Waive regressions (each needs a reason)</legend>
            {regressions.slice(0, 50).map((c) => (
              <div className="waiver-row" key={c.caseId}>
                <span className="mono">
                  {c.caseId}
                  {c.critical ? ' (critical)' : ''}
                </span>
                <input
                  type="text"
                  aria-label={`Waiver reason for ${c.caseId}`}
                  placeholder="reason (leave empty to not waive)"
                  value={waive[c.caseId] ?? ''}
                  onChange={(e) => setWaive({ ...waive, [c.caseId]: e.target.value })}
                />
              </div>
            ))}
          </fieldset>
        )}
        {needsOverride && (
          <Field label="Override reason (required to approve a verdict that is not PASS)" hint="Signed with the decision and shown wherever the approval is." error={errors.fields.override}>
            <textarea value={override} onChange={(e) => setOverride(e.target.value)} rows={2} />
          </Field>
        )}
        <Field label="Signing key" hint={keys.length ? 'From your SSH agent, or give a key file below.' : 'No SSH agent key found: give a private key file.'} error={errors.fields.key}>
          <select value={key} onChange={(e) => setKey(e.target.value)} disabled={!keys.length || Boolean(keyFile.trim())}>
            {keys.map((k) => (
              <option key={k.fingerprint} value={k.fingerprint}>
                {k.keyType} {k.fingerprint} {k.comment}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Key file (optional)" error={errors.fields.keyFile}>
          <input type="text" value={keyFile} onChange={(e) => setKeyFile(e.target.value)} placeholder="~/.ssh/id_ed25519" spellCheck={false} autoComplete="off" />
        </Field>
        {askPassphrase && (
          <Field label="Passphrase" hint="Kept in the engine's memory only, never stored." error={errors.fields.passphrase}>
            <input type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} autoComplete="off" />
          </Field>
        )}
        <Field label={`Type the project's name, ${manifest.project.name}, to sign`} error={errors.fields.confirm}>
          <input type="text" value={confirm} onChange={(e) => setConfirm(e.target.value)} autoComplete="off" spellCheck={false} />
        </Field>
        <DialogActions
          error={errors.form}
          onCancel={onClose}
          danger
          submit={busy ? 'Signing…' : `Sign: ${KINDS.find(([k]) => k === decision)![1].toLowerCase()}`}
          disabled={busy || confirm.trim() !== manifest.project.name || (needsOverride && !override.trim())}
        />
      </form>
    </Modal>
  );
}
