// The cluster part of adding a host: the defaults every job of this login node is submitted with.
// Field keys are the engine's paths (slurm.time, ...) so its validation messages land on the same field.
import type { SlurmSettings } from '../../../shared/domain/slurm';
import { DEFAULT_SIGNAL_SECONDS } from '../../../shared/domain/slurm';
import { Field } from '../../components/Field';
import { wholeNumber } from '../../components/whole-number';

const TEXT_FIELDS = [
  ['partition', 'Default partition', "Empty: the cluster's own default"],
  ['account', 'Account', 'Empty: your default account'],
  ['qos', 'QOS', "Empty: the account's default"],
  ['time', 'Time limit', 'e.g. 4:00:00 or 1-12:00:00'],
] as const;

export type SlurmValues = Partial<Record<'partition' | 'account' | 'qos' | 'time' | 'sbatchLines' | 'setup' | 'signalSeconds', string>>;

/** What to send as `slurm` (empty fields left out), or the fields that cannot be sent as typed. */
export function slurmSettings(values: SlurmValues): { settings: SlurmSettings; errors: Record<string, string> } {
  const settings: SlurmSettings = {};
  const errors: Record<string, string> = {};
  for (const [key] of TEXT_FIELDS) if (values[key]?.trim()) settings[key] = values[key].trim();
  const lines = (values.sbatchLines ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (lines.length) settings.sbatchLines = lines;
  if (values.setup?.trim()) settings.setup = values.setup.trim();
  const signal = wholeNumber(values.signalSeconds ?? '', 'The checkpoint warning', 10, 3600, 'seconds');
  if (signal.error) errors['slurm.signalSeconds'] = signal.error;
  else if (signal.value !== undefined) settings.signalSeconds = signal.value;
  return { settings, errors };
}

/** The engine names a bad extra line by its index (slurm.sbatchLines.2); the textarea shows it as "Line 3". */
export function foldLineErrors(fields: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, message] of Object.entries(fields)) {
    const m = /^slurm\.sbatchLines\.(\d+)$/.exec(path);
    if (m) out['slurm.sbatchLines'] ??= `Line ${Number(m[1]) + 1}: ${message}`;
    else out[path] = message;
  }
  return out;
}

export function SlurmFields({ values, errors, onChange }: { values: SlurmValues; errors: Record<string, string>; onChange: (values: SlurmValues) => void }) {
  const set = (key: keyof SlurmValues, value: string) => onChange({ ...values, [key]: value });
  return (
    <fieldset className="cluster-fields">
      <legend>Cluster defaults</legend>
      <div className="field-row">
        {TEXT_FIELDS.map(([key, label, hint]) => (
          <Field key={key} label={label} hint={hint} error={errors[`slurm.${key}`]}>
            <input type="text" value={values[key] ?? ''} onChange={(e) => set(key, e.target.value)} spellCheck={false} autoComplete="off" />
          </Field>
        ))}
      </div>
      <Field label="Extra #SBATCH lines" hint="One sbatch option per line, e.g. --constraint=a100" error={errors['slurm.sbatchLines']}>
        <textarea rows={3} value={values.sbatchLines ?? ''} onChange={(e) => set('sbatchLines', e.target.value)} spellCheck={false} />
      </Field>
      <Field label="Setup line" hint="Run before every SLURM command and in the job, e.g. module load slurm" error={errors['slurm.setup']}>
        <input type="text" value={values.setup ?? ''} onChange={(e) => set('setup', e.target.value)} spellCheck={false} autoComplete="off" />
      </Field>
      <Field label="Checkpoint warning (seconds)" hint="How long before the time limit SLURM tells the run to checkpoint; it is then requeued" error={errors['slurm.signalSeconds']}>
        <input type="text" inputMode="numeric" value={values.signalSeconds ?? ''} placeholder={String(DEFAULT_SIGNAL_SECONDS)} onChange={(e) => set('signalSeconds', e.target.value)} />
      </Field>
    </fieldset>
  );
}
