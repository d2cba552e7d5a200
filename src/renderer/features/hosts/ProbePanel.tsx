import type { HostProbe } from '../../../shared/domain/host';
import { formatTime } from '../../format';
import { SlurmProbe } from './SlurmProbe';

const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;

export function ProbePanel({ name, probe, probedAt }: { name: string; probe: HostProbe; probedAt?: number | undefined }) {
  return (
    <section className="card" aria-label={`Probe of ${name}`}>
      <h2>{name}</h2>
      {/* Kept across restarts: the launch dialog reads it to say what a host lacks for a recipe. */}
      {probedAt !== undefined && <p className="muted">Last probed {formatTime(probedAt)}.</p>}
      <dl className="meta">
        <dt>OS</dt>
        <dd>
          {probe.os} (kernel {probe.kernel})
        </dd>
        <dt>CPUs / memory</dt>
        <dd>
          {probe.cpus} / {gib(probe.memoryBytes)}
        </dd>
        <dt>Disk free</dt>
        <dd>{probe.diskFreeBytes === null ? '—' : gib(probe.diskFreeBytes)}</dd>
        <dt>Python</dt>
        <dd>{probe.python.version ?? '—'}</dd>
        <dt>Packages</dt>
        <dd>
          {Object.entries(probe.python.packages).map(([pkg, v]) => (
            <span key={pkg} className={v ? 'badge badge-ok' : 'badge'}>
              {pkg} {v ?? 'missing'}
            </span>
          ))}
        </dd>
        <dt>Driver / CUDA</dt>
        <dd>
          {probe.driverVersion ?? '—'} / {probe.cudaVersion ?? '—'}
        </dd>
        <dt>SLURM</dt>
        <dd>{probe.hasSbatch ? 'sbatch available' : 'no sbatch'}</dd>
      </dl>
      {probe.gpus.length === 0 ? (
        <p className="muted">No NVIDIA GPUs found (no nvidia-smi, or it lists none).</p>
      ) : (
        <table className="data-table" aria-label={`GPUs of ${name}`}>
          <thead>
            <tr>
              <th>GPU</th>
              <th>Name</th>
              <th>Memory</th>
              <th>Utilization</th>
            </tr>
          </thead>
          <tbody>
            {probe.gpus.map((g) => (
              <tr key={g.index}>
                <td>{g.index}</td>
                <td>{g.name}</td>
                <td>
                  {g.memoryUsedMiB} / {g.memoryTotalMiB} MiB
                </td>
                <td>{g.utilization}%</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {probe.slurm && <SlurmProbe name={name} slurm={probe.slurm} />}
    </section>
  );
}
