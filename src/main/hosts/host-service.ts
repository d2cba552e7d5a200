// Hosts as the user sees them: the directory (add, list, change, remove, import from an SSH config), and
// the front of what is done with them: connections (connections.ts), trusting a key (key-trust.ts) and
// probing (probe-host.ts). Other services ask here for a host; none reaches into the store.
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { HostProbe, type ConfigureHostInput, type Host, type LastProbe } from '../../shared/domain/host';
import { EngineError } from '../errors';
import { parseJumpSpec } from '../ssh/connect';
import { evaluateSshConfig, opensshDefaultIdentities, parseSshConfig, readSshConfig, type SshConfigHost } from '../ssh/ssh-config';
import { HostConnections, type ConnectionOptions } from './connections';
import type { HostAccess } from './host-access';
import { HostStore } from './host-store';
import { trustHost, type TrustResult } from './key-trust';
import { probeHost } from './probe-host';

export interface HostServiceOptions extends ConnectionOptions {
  dataDir: string;
}

/** How a host is reached: a change drops its pooled connection. */
const reachedBy = (h: Host) => JSON.stringify([h.hostname, h.port, h.user, h.identityFile, h.proxyJump]);
/** What a probe found depends on (another machine, another Python): a change forgets the last probe. */
const probedWith = (h: Host) => JSON.stringify([reachedBy(h), h.python]);

export class HostService {
  private readonly store: HostStore;
  readonly connections: HostConnections;

  constructor(db: Database.Database, options: HostServiceOptions) {
    this.store = new HostStore(db);
    this.store.ensureLocalHost(options.dataDir);
    this.connections = new HostConnections(this.store, options);
  }

  /** A host by id or name (HOST_NOT_FOUND otherwise). */
  get(ref: string): Host {
    return this.store.get(ref);
  }

  list(): Host[] {
    return this.store.list();
  }

  add(input: Parameters<HostStore['add']>[0]): Host {
    if (input.proxyJump) parseJumpSpec(input.proxyJump, { user: 'x' }); // refuse a jump spec we cannot read, now
    return this.store.add(input, os.userInfo().username);
  }

  /**
   * Changes a host (see ConfigureHostInput). Python, run root and cluster defaults are read at each
   * use. A change to how the host is reached (address, user, port, key, jump hosts) drops the pooled
   * connection and its backoff, so the next use connects with the new settings; a host imported from
   * an SSH config then follows what it records, not its alias. A probe of another Python or another
   * machine no longer says what the host has, so it is forgotten.
   */
  configure(ref: string, change: Omit<ConfigureHostInput, 'ref'>): Host {
    if (change.proxyJump) parseJumpSpec(change.proxyJump, { user: 'x' }); // refuse a jump spec we cannot read, now
    const before = this.store.get(ref);
    const host = this.store.configure(ref, change);
    if (reachedBy(before) !== reachedBy(host)) {
      this.store.setConfigOrigin(host.id, null);
      this.connections.forget(host.id);
    }
    if (probedWith(before) !== probedWith(host)) this.store.setLastProbe(host.id, null);
    return host;
  }

  /** The last probe of every host that has one (kept across restarts). */
  lastProbes(): LastProbe[] {
    const out: LastProbe[] = [];
    for (const host of this.store.list()) {
      const kept = this.store.lastProbe(host.id);
      const probe = kept && HostProbe.safeParse(kept.probe);
      // A probe this version cannot read is as good as none: the next probe replaces it.
      if (kept && probe?.success) out.push({ hostId: host.id, hostName: host.name, probedAt: kept.probedAt, probe: probe.data });
    }
    return out;
  }

  /**
   * Adds every concrete Host alias of an OpenSSH config file (Include files too), as the OpenSSH
   * client evaluates it (`ssh -G`) where it is installed, else as our parser reads it. The host
   * remembers its alias: connecting evaluates the config again, so ProxyCommand, every IdentityFile,
   * UserKnownHostsFile and ConnectTimeout apply as they do for `ssh ALIAS`. Aliases whose name is
   * taken are skipped and reported; keys stay untrusted until the user trusts them.
   */
  async importSshConfig(given?: string): Promise<{ added: Host[]; skipped: { name: string; reason: string }[]; notes: { name: string; note: string }[] }> {
    // Absolute: the host keeps it, and later connections may come from another working directory.
    const configFile = given ? path.resolve(given.replace(/^~(?=\/|$)/, os.homedir())) : null;
    const file = configFile ?? path.join(os.homedir(), '.ssh', 'config');
    let parsed: SshConfigHost[];
    try {
      parsed = parseSshConfig(readSshConfig(file));
    } catch (err) {
      throw new EngineError('VALIDATION_FAILED', `Cannot read the SSH config ${file}: ${(err as Error).message}. Give its path with --config.`);
    }
    const added: Host[] = [];
    const skipped: { name: string; reason: string }[] = [];
    const notes: { name: string; note: string }[] = [];
    for (const fallback of parsed) {
      const name = fallback.alias.replace(/[^\w.@-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'host';
      const entry = (await evaluateSshConfig(fallback.alias, { configFile })) ?? fallback;
      if (entry === fallback) notes.push({ name, note: "read by Tunebench's own parser (the ssh command is not installed): Match blocks and most tokens are not evaluated" });
      if (entry.proxyCommand) notes.push({ name, note: `reached through its ProxyCommand \`${entry.proxyCommand}\`` });
      const identity = entry.identityFiles?.find((f) => !opensshDefaultIdentities().includes(f)) ?? (entry === fallback ? entry.identityFile : undefined);
      try {
        const host = this.add({
          name,
          hostname: entry.hostname,
          ...(entry.port ? { port: entry.port } : {}),
          ...(entry.user ? { user: entry.user } : {}),
          ...(identity ? { identityFile: identity } : {}),
          ...(entry.proxyJump ? { proxyJump: entry.proxyJump } : {}),
        });
        this.store.setConfigOrigin(host.id, { alias: fallback.alias, configFile });
        added.push(host);
      } catch (err) {
        skipped.push({ name, reason: err instanceof Error ? err.message : String(err) });
      }
    }
    return { added, skipped, notes };
  }

  remove(ref: string): Host {
    const host = this.store.remove(ref);
    this.store.setConfigOrigin(host.id, null);
    this.store.setLastProbe(host.id, null);
    this.connections.forget(host.id);
    return host;
  }

  /** The keys Tunebench itself trusts for host:port (known_hosts files are read where they are). */
  trustedKeys(hostname: string, port: number): { keyType: string; fingerprint: string }[] {
    return this.store.trustedKeys(hostname, port).map(({ keyType, fingerprint }) => ({ keyType, fingerprint }));
  }

  trust(ref: string, fingerprint: string): Promise<TrustResult> {
    return trustHost(this.store, this.connections, ref, fingerprint);
  }

  async probe(ref: string): Promise<HostProbe> {
    // A probe of settings that configure() would forget it for must not be kept as the new ones'.
    const was = this.store.get(ref);
    const probe = await probeHost(this.store, this.connections, ref);
    const host = this.store.get(was.id); // by id: a rename meanwhile is not a change of what was probed
    if (probedWith(host) !== probedWith(was))
      throw new EngineError('HOST_CHANGED', `${host.name} was configured anew while it was being probed: what the probe found is of the old settings, so it was not kept. Probe it again.`);
    this.store.setLastProbe(host.id, probe);
    return probe;
  }

  /** The pooled connection to a host (see HostConnections.access). */
  access(host: Host, options: { now?: boolean } = {}): Promise<HostAccess> {
    return this.connections.access(host, options);
  }

  drop(hostId: string): void {
    this.connections.drop(hostId);
  }

  unlockKey(keyFile: string, passphrase: string): { keyFile: string } {
    return this.connections.unlockKey(keyFile, passphrase);
  }

  close(): void {
    this.connections.close();
  }
}
