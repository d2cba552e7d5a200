// Registries in SQLite, and their credentials: the user name is kept, the password never is; it comes
// from docker's config.json or credential helper, or from `registry login`, in this process's memory.
import type Database from 'better-sqlite3';
import type { Registry } from '../../shared/domain/registry';
import { newUlid } from '../../shared/ids';
import { EngineError } from '../errors';
import type { HostService } from '../hosts/host-service';

interface RegistryRow {
  id: string;
  name: string;
  kind: 'oci' | 'ssh';
  url: string | null;
  host_id: string | null;
  path: string | null;
  ca_file: string | null;
  insecure_http: number;
  username: string | null;
  created_at: number;
}

export interface RegistryTarget extends Registry {
  /** oci: https://host[:port]; the repository prefix after it. */
  baseUrl: string | null;
  prefix: string;
  hostId: string | null;
  path: string | null;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[?::1\]?|localhost)$/i;

/** https://host[:port]/prefix: the URL, checked (plain http only for loopback or with insecureHttp). */
export function parseOciUrl(text: string, insecureHttp: boolean): { baseUrl: string; prefix: string } {
  let url: URL;
  try {
    url = new URL(text.includes('://') ? text : `https://${text}`);
  } catch {
    throw new EngineError('VALIDATION_FAILED', `"${text.slice(0, 100)}" is not a registry URL; write https://host[:port]/prefix.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new EngineError('VALIDATION_FAILED', `A registry URL is https:// (got ${url.protocol}).`);
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname) && !insecureHttp)
    throw new EngineError('VALIDATION_FAILED', `Plain http to ${url.host} would send models and credentials unencrypted. Use https, or pass --insecure-http if you really mean it.`);
  if (url.username || url.password) throw new EngineError('VALIDATION_FAILED', 'Put no credentials in the registry URL; use `tunebench registry login NAME`.');
  const prefix = url.pathname.replace(/^\/+|\/+$/g, '');
  if (prefix && !/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(prefix))
    throw new EngineError('VALIDATION_FAILED', `"${prefix.slice(0, 100)}" is not a repository prefix: lower-case letters, digits and . _ - separated by /.`);
  return { baseUrl: `${url.protocol}//${url.host}`, prefix };
}

export class RegistryStore {
  /** Passwords given with `registry login`, by registry id: this process's memory only. */
  private readonly passwords = new Map<string, { username: string; password: string }>();

  constructor(
    private readonly db: Database.Database,
    private readonly hosts: HostService,
  ) {}

  private toTarget(r: RegistryRow): RegistryTarget {
    const hostName = r.host_id ? this.hosts.get(r.host_id).name : null;
    const oci = r.kind === 'oci' ? parseOciUrl(r.url!, r.insecure_http === 1) : null;
    return {
      id: r.id,
      name: r.name,
      kind: r.kind,
      location: r.kind === 'oci' ? r.url! : `${hostName}:${r.path}`,
      caFile: r.ca_file,
      insecureHttp: r.insecure_http === 1,
      username: r.username,
      createdAt: r.created_at,
      baseUrl: oci?.baseUrl ?? null,
      prefix: oci?.prefix ?? '',
      hostId: r.host_id,
      path: r.path,
    };
  }

  add(input: { name: string; oci?: string | undefined; ssh?: string | undefined; caFile?: string | undefined; insecureHttp?: boolean | undefined; username?: string | undefined }): RegistryTarget {
    if (Boolean(input.oci) === Boolean(input.ssh)) throw new EngineError('VALIDATION_FAILED', 'Give one of --oci https://host/prefix or --ssh HOST:/path.');
    let hostId: string | null = null;
    let path: string | null = null;
    if (input.oci) parseOciUrl(input.oci, input.insecureHttp ?? false);
    if (input.ssh) {
      const m = /^([^:]+):(\/.*)$/.exec(input.ssh);
      if (!m) throw new EngineError('VALIDATION_FAILED', `Write the SSH registry as HOST:/absolute/path (a host added with \`tunebench host add\`), not "${input.ssh.slice(0, 100)}".`);
      hostId = this.hosts.get(m[1]!).id;
      path = m[2]!.replace(/\/+$/, '') || '/';
    }
    const id = newUlid();
    try {
      this.db
        .prepare('INSERT INTO registries (id, name, kind, url, host_id, path, ca_file, insecure_http, username, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(id, input.name, input.oci ? 'oci' : 'ssh', input.oci ?? null, hostId, path, input.caFile ?? null, input.insecureHttp ? 1 : 0, input.username ?? null, Date.now());
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
        throw new EngineError('VALIDATION_FAILED', `A registry named "${input.name}" exists already; choose another name or remove it first.`);
      throw err;
    }
    return this.get(id);
  }

  get(ref: string): RegistryTarget {
    const r = this.db.prepare<[string, string], RegistryRow>('SELECT * FROM registries WHERE id = ? OR name = ? COLLATE NOCASE').get(ref.trim(), ref.trim());
    if (!r) throw new EngineError('REGISTRY_NOT_FOUND', `No registry "${ref.slice(0, 100)}". Add one with \`tunebench registry add NAME --oci https://host/prefix\` or \`--ssh HOST:/path\`.`);
    return this.toTarget(r);
  }

  list(): RegistryTarget[] {
    return this.db
      .prepare<[], RegistryRow>('SELECT * FROM registries ORDER BY name')
      .all()
      .map((r) => this.toTarget(r));
  }

  remove(ref: string): RegistryTarget {
    const r = this.get(ref);
    this.db.prepare('DELETE FROM registries WHERE id = ?').run(r.id);
    this.passwords.delete(r.id);
    return r;
  }

  login(ref: string, username: string, password: string): RegistryTarget {
    const r = this.get(ref);
    this.passwords.set(r.id, { username, password });
    this.db.prepare('UPDATE registries SET username = ? WHERE id = ?').run(username, r.id);
    return this.get(r.id);
  }

  /** Credentials from `registry login` in this process, else null (the OCI layer then asks docker's store). */
  password(id: string): { username: string; password: string } | null {
    return this.passwords.get(id) ?? null;
  }
}
