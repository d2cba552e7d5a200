// Hosts and the app's trusted host keys in SQLite.
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { HostName, isRunRootAllowed, RUN_ROOT_RULE, type ConfigureHostInput, type Host, type HostProbe } from '../../shared/domain/host';
import { SlurmSettings } from '../../shared/domain/slurm';
import { newUlid, ULID_PATTERN } from '../../shared/ids';
import { EngineError } from '../errors';
import type { KnownKey } from '../ssh/host-keys';

interface HostRow {
  id: string;
  name: string;
  kind: 'local' | 'ssh';
  hostname: string | null;
  port: number | null;
  user: string | null;
  identity_file: string | null;
  proxy_jump: string | null;
  python: string;
  run_root: string;
  slurm: string | null;
  created_at: number;
}

const toHost = (r: HostRow): Host => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  hostname: r.hostname,
  port: r.port,
  user: r.user,
  identityFile: r.identity_file,
  proxyJump: r.proxy_jump,
  python: r.python,
  runRoot: r.run_root,
  slurm: r.slurm === null ? null : SlurmSettings.parse(JSON.parse(r.slurm)),
  createdAt: r.created_at,
});

/** Remote run roots are relative to the SSH user's home, which both exec and SFTP start in. */
export const DEFAULT_SSH_RUN_ROOT = '.tunebench';

/**
 * The run root to store for what the user gave: an absolute path as it is; ~/DIR as DIR for an SSH
 * host (relative to the home both exec and SFTP start in, as the default is, since "~" in a quoted
 * path is not expanded), and under this user's home for the local host. A bare relative path is
 * refused (see RUN_ROOT_RULE): the schema refuses it first; this is for callers that skip it.
 */
function storedRunRoot(kind: Host['kind'], runRoot: string): string {
  const given = runRoot.trim();
  if (!isRunRootAllowed(given)) throw new EngineError('VALIDATION_FAILED', `${RUN_ROOT_RULE} "${given.slice(0, 200)}" is a relative path.`);
  if (given.startsWith('/')) return given;
  const underHome = given.replace(/^~\/*/, '');
  if (kind === 'local') return path.join(os.homedir(), underHome);
  return underHome === '' ? '.' : underHome;
}

export class HostStore {
  // Prepared once: every sync of every run looks its host up.
  private readonly byId;
  private readonly byName;

  constructor(private readonly db: Database.Database) {
    this.byId = db.prepare<[string], HostRow>('SELECT * FROM hosts WHERE id = ?');
    this.byName = db.prepare<[string], HostRow>('SELECT * FROM hosts WHERE name = ?');
  }

  /** Every data directory has the local machine as a host; its runs live under the data directory. */
  ensureLocalHost(dataDir: string): void {
    const exists = this.db.prepare("SELECT 1 FROM hosts WHERE kind = 'local'").get();
    if (exists) return;
    this.db.prepare("INSERT INTO hosts (id, name, kind, python, run_root, created_at) VALUES (?, 'local', 'local', 'python3', ?, ?)").run(newUlid(), path.join(dataDir, 'local'), Date.now());
  }

  list(): Host[] {
    return this.db.prepare<[], HostRow>("SELECT * FROM hosts ORDER BY kind = 'local' DESC, name").all().map(toHost);
  }

  get(ref: string): Host {
    const key = ref.trim();
    const row = (ULID_PATTERN.test(key) ? this.byId.get(key) : undefined) ?? this.byName.get(key);
    if (!row) throw new EngineError('HOST_NOT_FOUND', `No host named "${key.slice(0, 100)}". List hosts with \`tunebench host list\`.`);
    return toHost(row);
  }

  add(
    input: { name: string; hostname: string; port?: number; user?: string; identityFile?: string; proxyJump?: string; python?: string; runRoot?: string; slurm?: SlurmSettings },
    defaultUser: string,
  ): Host {
    // Every way in (the dialog, the CLI, an SSH config import) is held to the same name rules.
    const named = HostName.safeParse(input.name);
    if (!named.success) throw new EngineError('VALIDATION_FAILED', `"${input.name.slice(0, 100)}" cannot be a host name: ${named.error.issues[0]?.message ?? 'not a valid name'}`);
    const id = newUlid();
    try {
      this.db
        .prepare(
          `INSERT INTO hosts (id, name, kind, hostname, port, user, identity_file, proxy_jump, python, run_root, slurm, created_at)
           VALUES (?, ?, 'ssh', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          input.name,
          input.hostname,
          input.port ?? 22,
          input.user ?? defaultUser,
          input.identityFile ?? null,
          input.proxyJump ?? null,
          input.python ?? 'python3',
          input.runRoot !== undefined ? storedRunRoot('ssh', input.runRoot) : DEFAULT_SSH_RUN_ROOT,
          input.slurm ? JSON.stringify(input.slurm) : null,
          Date.now(),
        );
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new EngineError('HOST_NAME_TAKEN', `A host named "${input.name}" already exists. Choose another name, or remove the old one first.`);
      }
      throw err;
    }
    return this.get(id);
  }

  /** Changes what was given; see ConfigureHostInput. How a host is reached cannot change on the local host. */
  configure(ref: string, change: Omit<ConfigureHostInput, 'ref'>): Host {
    const host = this.get(ref);
    if (change.slurm && !host.slurm) throw new EngineError('VALIDATION_FAILED', `${host.name} is not a SLURM cluster. Add the login node as a new host with --slurm.`);
    const reach = (['hostname', 'port', 'user', 'identityFile', 'proxyJump'] as const).filter((k) => change[k] !== undefined);
    if (host.kind === 'local' && reach.length) {
      throw new EngineError('VALIDATION_FAILED', `The local host is this machine: it has no ${reach.join(', ')} to change. Change its Python or run root.`);
    }
    const slurm = change.slurm ? JSON.stringify(change.replaceSlurm ? change.slurm : { ...host.slurm, ...change.slurm }) : null;
    this.db
      .prepare(
        `UPDATE hosts SET python = coalesce(?, python), run_root = coalesce(?, run_root), slurm = coalesce(?, slurm),
           hostname = coalesce(?, hostname), port = coalesce(?, port), user = coalesce(?, user),
           identity_file = CASE WHEN ? THEN ? ELSE identity_file END, proxy_jump = CASE WHEN ? THEN ? ELSE proxy_jump END
         WHERE id = ?`,
      )
      .run(
        change.python ?? null,
        change.runRoot !== undefined ? storedRunRoot(host.kind, change.runRoot) : null,
        slurm,
        change.hostname ?? null,
        change.port ?? null,
        change.user ?? null,
        change.identityFile !== undefined ? 1 : 0,
        change.identityFile ?? null,
        change.proxyJump !== undefined ? 1 : 0,
        change.proxyJump ?? null,
        host.id,
      );
    return this.get(host.id);
  }

  /** The last probe of a host (kept in settings: a probe is a snapshot, not part of the host). */
  lastProbe(hostId: string): { probedAt: number; probe: unknown } | undefined {
    const row = this.db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?').get(`host-probe:${hostId}`);
    return row ? (JSON.parse(row.value) as { probedAt: number; probe: unknown }) : undefined;
  }

  setLastProbe(hostId: string, probe: HostProbe | null, probedAt = Date.now()): void {
    if (probe) this.db.prepare('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)').run(`host-probe:${hostId}`, JSON.stringify({ probedAt, probe }));
    else this.db.prepare('DELETE FROM settings WHERE key = ?').run(`host-probe:${hostId}`);
  }

  remove(ref: string): Host {
    const host = this.get(ref);
    if (host.kind === 'local') throw new EngineError('HOST_IN_USE', 'The local host is built in and cannot be removed.');
    const used = this.db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM runs WHERE host_id = ?').get(host.id)!.n;
    if (used > 0) throw new EngineError('HOST_IN_USE', `${host.name} has ${used} run(s) in the tracker; it stays so their history keeps its host.`);
    this.db.prepare('DELETE FROM hosts WHERE id = ?').run(host.id);
    return host;
  }

  trustedKeys(host: string, port: number): KnownKey[] {
    return this.db
      .prepare<[string, number], { key_type: string; fingerprint: string }>('SELECT key_type, fingerprint FROM trusted_host_keys WHERE host = ? AND port = ?')
      .all(host, port)
      .map((r) => ({ keyType: r.key_type, fingerprint: r.fingerprint, revoked: false }));
  }

  /**
   * Trusts a key for host:port. `replace` first forgets the keys trusted for it before: a changed key
   * replaces the old ones (the server no longer has them, and an attacker who stole one would present it).
   */
  trustKey(host: string, port: number, keyType: string, fingerprint: string, replace = false): void {
    this.db.transaction(() => {
      if (replace) this.db.prepare('DELETE FROM trusted_host_keys WHERE host = ? AND port = ?').run(host, port);
      this.db
        .prepare(
          'INSERT INTO trusted_host_keys (host, port, key_type, fingerprint, trusted_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (host, port, key_type) DO UPDATE SET fingerprint = excluded.fingerprint, trusted_at = excluded.trusted_at',
        )
        .run(host, port, keyType, fingerprint, Date.now());
    })();
  }

  /** The SSH config alias a host was imported from (kept in settings: the hosts table has no column for it). */
  configOrigin(hostId: string): { alias: string; configFile: string | null } | undefined {
    const row = this.db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?').get(`ssh-config-host:${hostId}`);
    return row ? (JSON.parse(row.value) as { alias: string; configFile: string | null }) : undefined;
  }

  setConfigOrigin(hostId: string, origin: { alias: string; configFile: string | null } | null): void {
    if (origin) this.db.prepare('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)').run(`ssh-config-host:${hostId}`, JSON.stringify(origin));
    else this.db.prepare('DELETE FROM settings WHERE key = ?').run(`ssh-config-host:${hostId}`);
  }
}
