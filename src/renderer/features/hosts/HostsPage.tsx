import { EmptyState } from '../../components/EmptyState';

export function HostsPage() {
  return (
    <>
      <header className="page-header">
        <h1>Hosts</h1>
      </header>
      <EmptyState title="No hosts in this version yet">
        <p>
          Hosts are the machines your runs train on: this computer, GPU workstations over SSH, and SLURM clusters. Adding
          hosts, importing them from <code>~/.ssh/config</code> and verifying their keys is not built yet; it comes with
          remote runs.
        </p>
      </EmptyState>
    </>
  );
}
