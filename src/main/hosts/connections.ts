// One pooled SSH connection per host, made on first use, remade when it dropped, with a backoff for
// hosts that cannot be reached; how each host is reached (its SSH config alias, or what it records);
// and the key passphrases typed this session (memory only).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Host } from '../../shared/domain/host';
import { EngineError } from '../errors';
import { connectSsh, parseJumpSpec, type SshOptions, type SshTarget } from '../ssh/connect';
import { configRoute, type SshRoute } from '../ssh/config-route';
import { ssh2 } from '../ssh/ssh2';
import { LocalAccess, SshAccess, type HostAccess } from './host-access';
import type { HostStore } from './host-store';

export interface ConnectionOptions {
  /** Defaults to ~/.ssh/known_hosts. */
  knownHostsFiles?: string[];
  /** Defaults to $SSH_AUTH_SOCK. */
  agentSocket?: string | undefined;
  /** Key passphrases typed this session, shared by the caller (the CLI keeps one for its whole process). */
  passphrases?: Map<string, string>;
}

export type HostRoute = SshRoute & { fromConfig: boolean };

export class HostConnections {
  private readonly pool = new Map<string, Promise<HostAccess>>();
  /** After a failed connect, no new attempt before this time: 0.5 s, doubling to 30 s, reset on success. */
  private readonly backoff = new Map<string, { until: number; delayMs: number; error: unknown }>();
  private readonly passphrases: Map<string, string>;
  private readonly knownHostsFiles: string[];

  constructor(
    private readonly store: HostStore,
    private readonly options: ConnectionOptions,
  ) {
    this.passphrases = options.passphrases ?? new Map();
    this.knownHostsFiles = options.knownHostsFiles ?? [path.join(os.homedir(), '.ssh', 'known_hosts')];
  }

  /**
   * Checks a key's passphrase and keeps it in memory for this engine's life only: never written to
   * disk, never logged. A connection that failed for want of it has already left the pool (and such
   * failures set no backoff), so the next use retries with it; working connections are left alone.
   */
  unlockKey(keyFile: string, passphrase: string): { keyFile: string } {
    const file = keyFile.replace(/^~(?=\/)/, os.homedir());
    let text: Buffer;
    try {
      text = fs.readFileSync(file);
    } catch (err) {
      throw new EngineError('AUTH_FAILED', `Cannot read the key file ${file}: ${(err as Error).message}.`);
    }
    const parsed = ssh2().utils.parseKey(text, passphrase);
    if (parsed instanceof Error) throw new EngineError('AUTH_FAILED', `That passphrase does not open ${file}. Try again.`);
    this.passphrases.set(file, passphrase);
    return { keyFile: file };
  }

  /** How keys are checked and keys found for a route (the trust flow connects with these too). */
  sshOptions(route: HostRoute): SshOptions {
    return {
      trust: {
        // A config's UserKnownHostsFile replaces ~/.ssh/known_hosts, as for ssh; files the engine was given stay.
        knownHostsFiles: route.fromConfig ? (this.options.knownHostsFiles ?? []) : this.knownHostsFiles,
        trustedKeys: (h, p) => this.store.trustedKeys(h, p),
      },
      agentSocket: this.options.agentSocket === undefined ? process.env.SSH_AUTH_SOCK : this.options.agentSocket,
      passphrases: this.passphrases,
      ...(route.proxyCommand ? { proxyCommand: route.proxyCommand } : {}),
    };
  }

  /** How to reach a host: from its SSH config alias when it came from one, else from what it records. */
  async route(host: Host): Promise<HostRoute> {
    const origin = this.store.configOrigin(host.id);
    const fromConfig = origin ? await configRoute(origin.alias, origin.configFile) : null;
    if (fromConfig) return { ...fromConfig, fromConfig: true };
    const target: SshTarget = { hostname: host.hostname!, port: host.port ?? 22, user: host.user!, identityFile: host.identityFile };
    const jumps = host.proxyJump ? parseJumpSpec(host.proxyJump, { user: host.user! }).map((j) => ({ ...j, identityFile: host.identityFile })) : [];
    return { target, jumps, fromConfig: false };
  }

  /**
   * The pooled connection to a host, made on first use and remade when it dropped. Something the
   * user just asked for (`now`) skips the backoff that background syncing respects.
   */
  access(host: Host, options: { now?: boolean } = {}): Promise<HostAccess> {
    if (options.now) this.backoff.delete(host.id);
    const pooled = this.pool.get(host.id);
    if (pooled) {
      return pooled.then(
        (a) => (a.closed ? this.replace(host, pooled) : a),
        () => this.replace(host, pooled),
      );
    }
    return this.reconnect(host);
  }

  /**
   * Reconnects in place of a connection found dead, once: every caller that was waiting on it gets
   * the same new one (each reconnecting on its own left all but the last connection open).
   */
  private replace(host: Host, dead: Promise<HostAccess>): Promise<HostAccess> {
    const current = this.pool.get(host.id);
    return current && current !== dead ? current : this.reconnect(host);
  }

  private reconnect(host: Host): Promise<HostAccess> {
    const wait = this.backoff.get(host.id);
    // A link that keeps failing is not hammered: callers get the last error until the backoff ends.
    if (wait && Date.now() < wait.until) return Promise.reject(wait.error);
    const made: Promise<HostAccess> =
      host.kind === 'local'
        ? Promise.resolve(new LocalAccess())
        : (async () => {
            const route = await this.route(host);
            return new SshAccess(await connectSsh(route.target, route.jumps, this.sshOptions(route)));
          })();
    this.pool.set(host.id, made);
    made.then(
      () => this.backoff.delete(host.id),
      (error: unknown) => {
        // An attempt forgotten meanwhile (the host's settings changed) says nothing of the host now.
        const current = this.pool.get(host.id) === made;
        if (current) this.pool.delete(host.id);
        // Key problems need the user, not a retry; only unreachable hosts back off.
        if (current && error instanceof EngineError && error.code === 'HOST_UNREACHABLE') {
          const delayMs = Math.min(30_000, (wait?.delayMs ?? 250) * 2);
          this.backoff.set(host.id, { until: Date.now() + delayMs, delayMs, error });
        }
      },
    );
    return made;
  }

  /** Forgets the pooled connection (after a failure), so the next use reconnects. */
  drop(hostId: string): void {
    const pooled = this.pool.get(hostId);
    this.pool.delete(hostId);
    pooled?.then(
      (a) => a.close(),
      () => {},
    );
  }

  /**
   * Forgets the pooled connection and any backoff: the host's settings changed (or it was removed),
   * so the next use connects afresh with what it records now, without waiting out the old failures.
   */
  forget(hostId: string): void {
    this.backoff.delete(hostId);
    this.drop(hostId);
  }

  close(): void {
    for (const id of [...this.pool.keys()]) this.drop(id);
  }
}
