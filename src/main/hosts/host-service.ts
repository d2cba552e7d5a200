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
import { parseSshConfig } from '../ssh/ssh-config';
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

  constructor(db: Database.Database, private readonly options: HostServiceOptions) {
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
   * Adds every concrete Host alias of an OpenSSH config file. Aliases whose name is taken are skipped
   * and reported; keys stay untrusted until the user trusts them.
   */
  importSshConfig(given?: string): { added: Host[]; skipped: { name: string; reason: string }[] } {
    const file = (given ?? path.join(os.homedir(), '.ssh', 'config')).replace(/^~(?=\/|$)/, os.homedir());
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new EngineError('VALIDATION_FAILED', `Cannot read the SSH config ${file}: ${(err as Error).message}. Give its path with --config.`);
    }
    const added: Host[] = [];
    const skipped: { name: string; reason: string }[] = [];
    for (const entry of parseSshConfig(text)) {
      const name = entry.alias.replace(/[^\w.@-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'host';
      try {
        added.push(
          this.add({
            name,
            hostname: entry.hostname,
            ...(entry.port ? { port: entry.port } : {}),
            ...(entry.user ? { user: entry.user } : {}),
            ...(entry.identityFile ? { identityFile: entry.identityFile } : {}),
            ...(entry.proxyJump ? { proxyJump: entry.proxyJump } : {}),
          }),
        );
      } catch (err) {
        skipped.push({ name, reason: err instanceof Error ? err.message : String(err) });
      }
    }
    return { added, skipped };
  }

  remove(ref: string): Host {
    const host = this.store.remove(ref);
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

  private sshOptions(): SshOptions {
    return {
      trust: { knownHostsFiles: this.knownHostsFiles, trustedKeys: (h, p) => this.store.trustedKeys(h, p) },
      agentSocket: this.options.agentSocket === undefined ? process.env.SSH_AUTH_SOCK : this.options.agentSocket,
      passphrases: this.passphrases,
    };
  }

  private targets(host: Host): { target: SshTarget; jumps: SshTarget[] } {
    const target: SshTarget = { hostname: host.hostname!, port: host.port ?? 22, user: host.user!, identityFile: host.identityFile };
    const jumps = host.proxyJump ? parseJumpSpec(host.proxyJump, { user: host.user! }).map((j) => ({ ...j, identityFile: host.identityFile })) : [];
    return { target, jumps };
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
            const { target, jumps } = this.targets(host);
            return new SshAccess(await connectSsh(target, jumps, this.sshOptions()));
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
    pooled?.then((a) => a.close(), () => {});
  }

  /**
   * Trusts the key a host presents, but only if it matches the fingerprint the user checked.
   * Never authenticates while the key is unknown, so nothing runs on an untrusted server.
   */
  async trust(ref: string, fingerprint: string): Promise<{ host: Host; fingerprint: string; keyType: string; alreadyTrusted: boolean }> {
    const host = this.store.get(ref);
    if (host.kind === 'local') throw new EngineError('VALIDATION_FAILED', 'The local host needs no key.');
    const { target } = this.targets(host);
    try {
      this.drop(host.id);
      await this.access(host, { now: true });
      return { host, fingerprint, keyType: '', alreadyTrusted: true };
    } catch (err) {
      const e = err as EngineError;
      const details = e.details as { host?: string; port?: number; presented?: string; keyType?: string; source?: string } | undefined;
      const isTarget = details?.host === target.hostname && details?.port === target.port;
      if (!(e instanceof EngineError) || !isTarget || (e.code !== 'HOST_KEY_UNKNOWN' && e.code !== 'HOST_KEY_MISMATCH')) throw err;
      if (details!.presented !== fingerprint) {
        throw new EngineError('FINGERPRINT_MISMATCH', `${host.name} presents ${details!.presented}, not ${fingerprint}. Nothing was trusted. Check the fingerprint with the server's administrator.`, {
          presented: details!.presented,
          given: fingerprint,
        });
      }
      if (e.code === 'HOST_KEY_MISMATCH' && details!.source === 'known_hosts') {
        throw new EngineError('HOST_KEY_MISMATCH', `${e.message} The old key is in your known_hosts: remove it with \`ssh-keygen -R ${target.hostname}\` first.`, e.details);
      }
      this.store.trustKey(target.hostname, target.port, details!.keyType!, fingerprint);
      this.drop(host.id);
      return { host, fingerprint, keyType: details!.keyType!, alreadyTrusted: false };
    }
  }

  async probe(ref: string): Promise<HostProbe> {
    const host = this.store.get(ref);
    const access = await this.access(host, { now: true });
    const script = fs.readFileSync(path.join(PACKAGE_ROOT, 'resources', 'remote', 'probe_host.py'), 'utf8');
    const r = await access.exec(`${host.python} - ${shQuote(host.runRoot)}`, { stdin: script, timeoutMs: 60_000 });
    if (r.code !== 0) {
      throw new EngineError('REMOTE_COMMAND_FAILED', `Probing ${host.name} with \`${host.python}\` failed (exit ${r.code}): ${r.stderr.trim().slice(-500) || 'no output'}. Set the host's Python with --python.`);
    }
    const probe = HostProbe.safeParse(jsonOutput(r.stdout, `Probing ${host.name}`));
    if (!probe.success) throw new EngineError('REMOTE_COMMAND_FAILED', `Probing ${host.name} gave an answer this version cannot read (${probe.error.issues[0]?.message ?? 'bad shape'}). Update Tunebench, or report it with the host's OS and Python.`);
    if (host.slurm) probe.data.slurm = await probeCluster(access, host, crypto.randomBytes(8).toString('hex'));
    return probe.data;
  }

  close(): void {
    for (const id of [...this.pool.keys()]) this.drop(id);
  }
}
