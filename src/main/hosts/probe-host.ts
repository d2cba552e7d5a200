// Probing a host: OS, CPUs, memory, disk, GPUs and Python packages; on a cluster, SLURM too.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { HostProbe } from '../../shared/domain/host';
import { EngineError } from '../errors';
import { probeCluster } from '../slurm/probe';
import { PACKAGE_ROOT } from '../version';
import type { HostConnections } from './connections';
import { jsonOutput, shQuote } from './host-access';
import type { HostStore } from './host-store';

export async function probeHost(store: HostStore, connections: HostConnections, ref: string): Promise<HostProbe> {
  const host = store.get(ref);
  const access = await connections.access(host, { now: true });
  const script = fs.readFileSync(path.join(PACKAGE_ROOT, 'resources', 'remote', 'probe_host.py'), 'utf8');
  const r = await access.exec(`${host.python} - ${shQuote(host.runRoot)}`, { stdin: script, timeoutMs: 60_000 });
  if (r.code !== 0) {
    throw new EngineError(
      'REMOTE_COMMAND_FAILED',
      `Probing ${host.name} with \`${host.python}\` failed (exit ${r.code}): ${r.stderr.trim().slice(-500) || 'no output'}. Set the host's Python with --python.`,
    );
  }
  const probe = HostProbe.safeParse(jsonOutput(r.stdout, `Probing ${host.name}`));
  if (!probe.success)
    throw new EngineError(
      'REMOTE_COMMAND_FAILED',
      `Probing ${host.name} gave an answer this version cannot read (${probe.error.issues[0]?.message ?? 'bad shape'}). Update Tunebench, or report it with the host's OS and Python.`,
    );
  if (host.slurm) probe.data.slurm = await probeCluster(access, host, crypto.randomBytes(8).toString('hex'));
  return probe.data;
}
