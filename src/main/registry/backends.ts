// The backend of a registry: an OCI registry, or a directory on an SSH host.
import { EngineError } from '../errors';
import type { HostService } from '../hosts/host-service';
import type { ModelBackend } from './backend';
import type { RegistryStore, RegistryTarget } from './registry-store';
import { SshModelBackend } from './ssh-backend';
import { OciModelBackend } from './oci-backend';
import { dockerCredentials } from './oci/auth';

export async function openBackend(target: RegistryTarget, deps: { hosts: HostService; registries: RegistryStore; knownModels: (registryId: string) => string[] }): Promise<ModelBackend> {
  if (target.kind === 'ssh') {
    const host = deps.hosts.store.get(target.hostId!);
    return new SshModelBackend(await deps.hosts.access(host, { now: true }), host.id, target.path!);
  }
  if (target.kind === 'oci') {
    // A login in this process first, else docker's own store (config.json or its credential helper), else anonymous.
    const host = new URL(target.baseUrl!).host;
    const credentials = async () => deps.registries.password(target.id) ?? (await dockerCredentials(host));
    return new OciModelBackend(target, credentials, () => deps.knownModels(target.id));
  }
  throw new EngineError('VALIDATION_FAILED', `Unknown registry kind ${String(target.kind)}.`);
}
