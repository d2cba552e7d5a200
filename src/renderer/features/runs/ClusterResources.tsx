// What a run asks a SLURM cluster for: nodes, GPUs, CPUs, memory, time, partition, account, QOS, and
// how many copies to submit as one job array. Empty fields take the cluster's defaults (the placeholders).
// Field keys are the engine's paths (resources.nodes, array.count) so its messages land on the same field.
import type { SlurmSettings, RunResources, SlurmPartition } from '../../../shared/domain/slurm';
import { SlurmTime, slurmTimeSeconds } from '../../../shared/domain/slurm';
import { Field } from '../../components/Field';
import { wholeNumber } from '../../components/whole-number';
import { formatLimit } from '../../format';

export type ResourceValues = Partial<Record<'nodes' | 'gpusPerNode' | 'cpusPerTask' | 'mem' | 'time' | 'partition' | 'account' | 'qos' | 'count' | 'throttle', string>>;

const NUMBERS = [
  ['nodes', 'resources.nodes', 'Nodes', 1, 1024],
  ['gpusPerNode', 'resources.gpusPerNode', 'GPUs per node', 0, 64],
  ['cpusPerTask', 'resources.cpusPerTask', 'CPUs per task', 1, 1024],
  ['count', 'array.count', 'Runs', 1, 1000],
  ['throttle', 'array.throttle', 'At most at once', 1, 1000],
] as const;

export interface ClusterRequest {
  resources: RunResources;
  array?: { count: number; throttle?: number };
  errors: Record<string, string>;
}

/** The fields as the launch sends them: only what was filled; an array only for two runs or more. */
export function clusterRequest(v: ResourceValues): ClusterRequest {
  const errors: Record<string, string> = {};
  const n: Partial<Record<(typeof NUMBERS)[number][0], number>> = {};
  for (const [key, path, label, min, max] of NUMBERS) {
    const r = wholeNumber(v[key] ?? '', label, min, max);
    if (r.error) errors[path] = r.error;
    else if (r.value !== undefined) n[key] = r.value;
  }
  const resources: RunResources = {};
  if (n.nodes !== undefined) resources.nodes = n.nodes;
  if (n.gpusPerNode !== undefined) resources.gpusPerNode = n.gpusPerNode;
  if (n.cpusPerTask !== undefined) resources.cpusPerTask = n.cpusPerTask;
  for (const key of ['mem', 'time', 'partition', 'account', 'qos'] as const) if (v[key]?.trim()) resources[key] = v[key].trim();
  if (n.throttle !== undefined && (n.count ?? 1) < 2) errors['array.throttle'] = 'This limits a job array: give 2 runs or more.';
  const array = n.count !== undefined && n.count >= 2 ? { count: n.count, ...(n.throttle !== undefined ? { throttle: n.throttle } : {}) } : undefined;
  return { resources, ...(array ? { array } : {}), errors };
}

/** What SLURM would refuse or never start, by the partition's limits from the last probe. */
export function limitWarnings(resources: RunResources, defaults: SlurmSettings, partitions: SlurmPartition[] | undefined): string[] {
  const name = resources.partition ?? defaults.partition;
  const p = partitions?.find((x) => (name ? x.name === name : x.isDefault));
  if (!p) return [];
  const out: string[] = [];
  const nodes = resources.nodes ?? 1;
  if (!p.up) out.push(`Partition ${p.name} is down: the job would wait until it is up.`);
  if (p.maxNodes !== null && nodes > p.maxNodes) out.push(`Partition ${p.name} allows at most ${p.maxNodes} node${p.maxNodes === 1 ? '' : 's'} per job; SLURM will refuse ${nodes}.`);
  else if (nodes > p.nodes) out.push(`Partition ${p.name} has ${p.nodes} node${p.nodes === 1 ? '' : 's'}; a job asking for ${nodes} cannot start.`);
  const time = resources.time ?? defaults.time;
  if (time && SlurmTime.safeParse(time).success && p.maxTimeSeconds !== null && slurmTimeSeconds(time) > p.maxTimeSeconds) {
    out.push(`Partition ${p.name} allows at most ${formatLimit(p.maxTimeSeconds)}; the time limit ${formatLimit(slurmTimeSeconds(time))} is more, so SLURM will refuse it.`);
  }
  if (resources.gpusPerNode && resources.gpusPerNode > p.gpusPerNode)
    out.push(`Nodes of partition ${p.name} have ${p.gpusPerNode} GPU${p.gpusPerNode === 1 ? '' : 's'}; a job asking for ${resources.gpusPerNode} per node cannot start.`);
  return out;
}

export function ClusterResources({
  defaults,
  partitions,
  values,
  errors,
  onChange,
}: {
  defaults: SlurmSettings;
  /** From the host's last probe this session; without one the partition is typed. */
  partitions: SlurmPartition[] | undefined;
  values: ResourceValues;
  errors: Record<string, string>;
  onChange: (values: ResourceValues) => void;
}) {
  const text = (key: keyof ResourceValues, label: string, path: string, placeholder = '') => (
    <Field label={label} error={errors[path]}>
      <input type="text" value={values[key] ?? ''} placeholder={placeholder} onChange={(e) => onChange({ ...values, [key]: e.target.value })} spellCheck={false} autoComplete="off" />
    </Field>
  );
  const clusterDefault = defaults.partition ?? partitions?.find((p) => p.isDefault)?.name;
  const warnings = limitWarnings(clusterRequest(values).resources, defaults, partitions);
  return (
    <fieldset className="cluster-fields">
      <legend>Cluster resources</legend>
      <p className="field-hint">Empty fields take the cluster&apos;s defaults, shown in grey.</p>
      <div className="field-row">
        {text('nodes', 'Nodes', 'resources.nodes', '1')}
        {text('gpusPerNode', 'GPUs per node', 'resources.gpusPerNode', '0')}
        {text('cpusPerTask', 'CPUs per task', 'resources.cpusPerTask', '1')}
        {text('mem', 'Memory', 'resources.mem', 'e.g. 64G')}
        {text('time', 'Time limit', 'resources.time', defaults.time ?? 'partition default')}
        {partitions ? (
          <Field label="Partition" error={errors['resources.partition']}>
            <select value={values.partition ?? ''} onChange={(e) => onChange({ ...values, partition: e.target.value })}>
              <option value="">{clusterDefault ? `Default (${clusterDefault})` : 'Default'}</option>
              {partitions.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name}
                  {p.isDefault ? ' (default)' : ''}
                  {p.up ? '' : ' — down'}
                </option>
              ))}
            </select>
          </Field>
        ) : (
          text('partition', 'Partition', 'resources.partition', clusterDefault ?? 'cluster default')
        )}
        {text('account', 'Account', 'resources.account', defaults.account ?? 'your default')}
        {text('qos', 'QOS', 'resources.qos', defaults.qos ?? 'account default')}
        {text('count', 'Runs (job array)', 'array.count', '1')}
        {text('throttle', 'At most at once', 'array.throttle', 'all')}
      </div>
      {warnings.map((w) => (
        <p key={w} className="form-warning" role="status">
          {w}
        </p>
      ))}
    </fieldset>
  );
}
