// The backend of a registry: an OCI registry, or a directory on an SSH host.
import fs from 'node:fs';
import { EngineError } from '../errors';
import type { HostService } from '../hosts/host-service';
import type { ModelBackend } from './backend';
import type { RegistryStore, RegistryTarget } from './registry-store';
import { SshModelBackend } from './ssh-backend';
import { OciModelBackend } from './oci-backend';
import { dockerCredentials } from './oci/auth';

export async function openBackend(target: RegistryTarget, deps: { hosts: HostService; registries: RegistryStore; knownModels: (registryId: string) => string[] }): Promise<ModelBackend> {
  if (target.kind === 'ssh') {
    const host = deps.hosts.get(target.hostId!);
    return new SshModelBackend(await deps.hosts.access(host, { now: true }), host.id, target.path!);
  }
  if (target.kind === 'oci') {
    // A login in this process first, else docker's own store (config.json or its credential helper), else anonymous.
    const host = new URL(target.baseUrl!).host;
    const credentials = async () => deps.registries.password(target.id) ?? (await dockerCredentials(host));
    // Weights on an SSH host go from there to the registry when it can reach it; this machine's relay otherwise.
    const directHost = async (hostId: string) => {
      const host = deps.hosts.get(hostId);
      // TUNEBENCH_PUSH_DIRECT=0 always relays through this machine (a host that may not talk to the registry).
      if (host.kind !== 'ssh' || process.env.TUNEBENCH_PUSH_DIRECT === '0') return null;
      return { access: await deps.hosts.access(host, { now: true }), python: host.python, workDir: host.runRoot.replace(/\/+$/, '') };
    };
    let caPem: string | null = null;
    if (target.caFile) {
      try {
        caPem = fs.readFileSync(target.caFile, 'utf8');
      } catch (err) {
        throw new EngineError('VALIDATION_FAILED', `Cannot read the CA file ${target.caFile} of ${target.name}: ${(err as Error).message}.`);
      }
    }
    return new OciModelBackend(target, credentials, () => deps.knownModels(target.id), directHost, caPem);
  }
  throw new EngineError('VALIDATION_FAILED', `Unknown registry kind ${String(target.kind)}.`);
}
