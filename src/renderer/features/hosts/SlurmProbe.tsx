// What a probe found on a cluster: SLURM's version, accounting, whether the compute nodes see the run
// root and may submit jobs (sweeps need both), the user's jobs, and each partition with its nodes and limits (what a launch can ask for).
import type { SlurmProbe as Probe } from '../../../shared/domain/slurm';
import { formatLimit } from '../../format';

const sharedText = (shared: boolean | null) => (shared === null ? 'unknown' : shared ? 'yes' : 'NO');
const memory = (mib: number | null) => (mib === null ? '—' : mib >= 1024 ? `${(mib / 1024).toFixed(1)} GiB` : `${mib} MiB`);

export function SlurmProbe({ name, slurm }: { name: string; slurm: Probe }) {
  return (
    <>
      <h3 className="probe-subhead">SLURM cluster</h3>
      <dl className="meta">
        <dt>Version</dt>
        <dd>{slurm.version ?? 'unknown'}</dd>
        <dt>Accounting</dt>
        <dd>{slurm.accountingDetail}</dd>
        <dt>Shared run root</dt>
        <dd>
          <strong className={slurm.sharedRunRoot === false ? 'warn-text' : undefined}>{sharedText(slurm.sharedRunRoot)}</strong>
          {slurm.sharedRunRootDetail && <span className="muted"> · {slurm.sharedRunRootDetail}</span>}
        </dd>
        <dt>Jobs may submit jobs</dt>
        <dd>
          <strong className={slurm.computeSubmit === false ? 'warn-text' : undefined}>{sharedText(slurm.computeSubmit)}</strong>
          {slurm.computeSubmitDetail && <span className="muted"> · {slurm.computeSubmitDetail}</span>}
        </dd>
        <dt>Your jobs</dt>
        <dd>{slurm.jobs.length ? slurm.jobs.map((j) => `${j.id} ${j.name} ${j.state}${j.reason && j.reason !== 'None' ? ` (${j.reason})` : ''}`).join(', ') : 'none'}</dd>
      </dl>
      <table className="data-table partitions-table" aria-label={`Partitions of ${name}`}>
        <thead>
          <tr>
            <th scope="col">Partition</th>
            <th scope="col">State</th>
            <th scope="col" className="num">
              Nodes
            </th>
            <th scope="col" className="num">
              CPUs/node
            </th>
            <th scope="col" className="num">
              Memory/node
            </th>
            <th scope="col" className="num">
              GPUs/node
            </th>
            <th scope="col" className="num">
              Max time
            </th>
            <th scope="col" className="num">
              Max nodes
            </th>
          </tr>
        </thead>
        <tbody>
          {slurm.partitions.map((p) => (
            <tr key={p.name}>
              <td>
                <strong>{p.name}</strong>
                {p.isDefault && <span className="badge">default</span>}
              </td>
              <td className={p.up ? undefined : 'warn-text'}>{p.up ? 'up' : 'down'}</td>
              <td className="num" title={p.nodeList}>
                {p.nodes}
              </td>
              <td className="num">{p.cpusPerNode ?? '—'}</td>
              <td className="num">{memory(p.memoryMiBPerNode)}</td>
              <td className="num" title={p.gres || undefined}>
                {p.gpusPerNode}
              </td>
              <td className="num">{p.maxTimeSeconds === null ? 'unlimited' : formatLimit(p.maxTimeSeconds)}</td>
              <td className="num">{p.maxNodes === null ? 'unlimited' : p.maxNodes}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
