// Hosts as the user sees them: add, list, remove, trust a key, probe; and one pooled connection per host.
import { ssh2 } from '../ssh/ssh2';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { HostProbe, type Host } from '../../shared/domain/host';
import { EngineError } from '../errors';
import { connectSsh, parseJumpSpec, type SshOptions, type SshTarget } from '../ssh/connect';
import { configRoute, type SshRoute } from '../ssh/config-route';
import { knownHostsName, type PresentedKey } from '../ssh/host-keys';
import { evaluateSshConfig, opensshDefaultIdentities, parseSshConfig, readSshConfig, type SshConfigHost } from '../ssh/ssh-config';
import { probeCluster } from '../slurm/probe';
import { PACKAGE_ROOT } from '../version';
import { jsonOutput, LocalAccess, shQuote, SshAccess, type HostAccess } from './host-access';
import { HostStore } from './host-store';

export interface HostServiceOptions {
  dataDir: string;
  /** Defaults to ~/.ssh/known_hosts. */
  knownHostsFiles?: string[];
  /** Defaults to $SSH_AUTH_SOCK. */
  agentSocket?: string | undefined;
  /** Key passphrases typed this session, shared by the caller (the CLI keeps one for its whole process). */
  passphrases?: Map<string, string>;
}

export class HostService {
  readonly store: HostStore;
  private readonly pool = new Map<string, Promise<HostAccess>>();
  /** After a failed connect, no new attempt before this time: 0.5 s, doubling to 30 s, reset on success. */
  private readonly backoff = new Map<string, { until: number; delayMs: number; error: unknown }>();
  private readonly passphrases: Map<string, string>;
  private readonly knownHostsFiles: string[];

  constructor(
    private readonly db: Database.Database,
    private readonly options: HostServiceOptions,
  ) {
    this.store = new HostStore(db);
    this.passphrases = options.passphrases ?? new Map();
    this.store.ensureLocalHost(options.dataDir);
    this.knownHostsFiles = options.knownHostsFiles ?? [path.join(os.homedir(), '.ssh', 'known_hosts')];
  }

  list(): Host[] {
    return this.store.list();
  }

  add(input: Parameters<HostStore['add']>[0]): Host {
    if (input.proxyJump) parseJumpSpec(input.proxyJump, { user: 'x' }); // refuse a jump spec we cannot read, now
    return this.store.add(input, os.userInfo().username);
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
        this.setConfigOrigin(host.id, { alias: fallback.alias, configFile });
        added.push(host);
      } catch (err) {
        skipped.push({ name, reason: err instanceof Error ? err.message : String(err) });
      }
    }
    return { added, skipped, notes };
  }

  /** The SSH config alias a host was imported from (kept in settings: the hosts table has no column for it). */
  private configOrigin(hostId: string): { alias: string; configFile: string | null } | undefined {
    const row = this.db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?').get(`ssh-config-host:${hostId}`);
    return row ? (JSON.parse(row.value) as { alias: string; configFile: string | null }) : undefined;
  }

  private setConfigOrigin(hostId: string, origin: { alias: string; configFile: string | null } | null): void {
    if (origin) this.db.prepare('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)').run(`ssh-config-host:${hostId}`, JSON.stringify(origin));
    else this.db.prepare('DELETE FROM settings WHERE key = ?').run(`ssh-config-host:${hostId}`);
  }

  remove(ref: string): Host {
    const host = this.store.remove(ref);
    this.setConfigOrigin(host.id, null);
    this.drop(host.id);
    return host;
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

  private sshOptions(route: SshRoute & { fromConfig: boolean }): SshOptions {
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
  private async route(host: Host): Promise<SshRoute & { fromConfig: boolean }> {
    const origin = this.configOrigin(host.id);
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
        if (this.pool.get(host.id) === made) this.pool.delete(host.id);
        // Key problems need the user, not a retry; only unreachable hosts back off.
        if (error instanceof EngineError && error.code === 'HOST_UNREACHABLE') {
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
   * Trusts the key a host, or one of its jump hosts, presents, but only if it matches the fingerprint
   * the user checked. Never authenticates to a server whose key is unknown, so nothing runs on an
   * untrusted server. For a host already trusted, the fingerprint is still compared with what the
   * server presents now: "already trusted" is only said of the key the user named.
   */
  async trust(ref: string, fingerprint: string): Promise<{ host: Host; fingerprint: string; keyType: string; alreadyTrusted: boolean; jumpHost?: string }> {
    const host = this.store.get(ref);
    if (host.kind === 'local') throw new EngineError('VALIDATION_FAILED', 'The local host needs no key.');
    const route = await this.route(host);
    const hops = [...route.jumps, route.target];
    const at = (h: { hostname: string; port: number }) => `${h.hostname}:${h.port}`;
    const presented = new Map<string, PresentedKey>();
    this.drop(host.id);
    let failure: unknown;
    try {
      const client = await connectSsh(route.target, route.jumps, { ...this.sshOptions(route), onHostKey: (hop, key) => presented.set(at(hop), key) });
      client.end();
    } catch (err) {
      failure = err;
    }
    const e = failure instanceof EngineError ? failure : undefined;
    const keyProblem = e && /^HOST_(KEY|CERT)_/.test(e.code);
    const details = e?.details as { host?: string; port?: number; presented?: string; keyType?: string; source?: string } | undefined;
    // The hop the key problem is about: the target, or a jump host (whose key must be trusted first).
    const hop = keyProblem ? hops.find((h) => h.hostname === details?.host && h.port === details?.port) : undefined;
    if (hop && (e!.code === 'HOST_KEY_UNKNOWN' || e!.code === 'HOST_KEY_MISMATCH' || e!.code === 'HOST_CERT_UNSUPPORTED')) {
      const jump = at(hop) !== at(route.target) ? at(hop) : undefined;
      const whose = jump ? `The jump host ${jump} of ${host.name}` : host.name;
      if (details!.presented !== fingerprint) {
        throw new EngineError('FINGERPRINT_MISMATCH', `${whose} presents ${details!.presented}, not ${fingerprint}. Nothing was trusted. Check the fingerprint with the server's administrator.`, {
          presented: details!.presented,
          given: fingerprint,
          ...(jump ? { jumpHost: jump } : {}),
        });
      }
      if (e!.code === 'HOST_KEY_MISMATCH' && details!.source === 'known_hosts') {
        throw new EngineError('HOST_KEY_MISMATCH', `${e!.message} The old key is in your known_hosts: remove it with \`ssh-keygen -R '${knownHostsName(hop.hostname, hop.port)}'\` first.`, e!.details);
      }
      // A changed key replaces the old ones: the server no longer has them, and trusting both would
      // accept the old key too (what an attacker who stole it would present).
      this.trustHostKey(hop.hostname, hop.port, details!.keyType!, fingerprint, e!.code === 'HOST_KEY_MISMATCH');
      this.drop(host.id);
      return { host, fingerprint, keyType: details!.keyType!, alreadyTrusted: false, ...(jump ? { jumpHost: jump } : {}) };
    }
    // A revoked key, or a key problem of a server that is not on this route: nothing to trust here.
    if (keyProblem) throw failure;
    // Every key presented was trusted (a login that failed later does not matter here): is the
    // user's fingerprint one of them?
    const named = [...presented.entries()].find(([, k]) => k.fingerprint === fingerprint);
    if (named) return { host, fingerprint, keyType: named[1].keyType, alreadyTrusted: true, ...(named[0] !== at(route.target) ? { jumpHost: named[0] } : {}) };
    const targetKey = presented.get(at(route.target));
    if (targetKey) {
      throw new EngineError(
        'FINGERPRINT_MISMATCH',
        `${host.name} presents ${targetKey.fingerprint} (${targetKey.keyType}), which is already trusted, not ${fingerprint}. Nothing was changed. Check the fingerprint with the server's administrator.`,
        { presented: targetKey.fingerprint, given: fingerprint },
      );
    }
    throw failure ?? new EngineError('HOST_UNREACHABLE', `Connecting to ${host.name} saw no host key. Try again.`);
  }

  /** Adds a trusted key for host:port; `replace` first forgets the keys Tunebench trusted for it before. */
  private trustHostKey(hostname: string, port: number, keyType: string, fingerprint: string, replace: boolean): void {
    this.db.transaction(() => {
      if (replace) this.db.prepare('DELETE FROM trusted_host_keys WHERE host = ? AND port = ?').run(hostname, port);
      this.store.trustKey(hostname, port, keyType, fingerprint);
    })();
  }

  async probe(ref: string): Promise<HostProbe> {
    const host = this.store.get(ref);
    const access = await this.access(host, { now: true });
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

  close(): void {
    for (const id of [...this.pool.keys()]) this.drop(id);
  }
}
