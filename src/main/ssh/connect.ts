// One SSH connection: host key verified before authenticating, agent then key files, jump hosts
// chained through forwardOut or a ProxyCommand's stdio, low-latency sockets (noDelay), keepalive,
// and time limits on the TCP connect and the handshake (an address that drops packets must not hold
// the user for the two minutes a TCP connect may take).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import type { AnyAuthMethod, Client, ConnectConfig } from 'ssh2';
import { ssh2 } from './ssh2';
import { EngineError } from '../errors';
import { describeKey, hostKeyAlgorithms, judgeHostKey, knownHostAuthorities, knownHostKeys, type KnownKey, type PresentedKey } from './host-keys';
import { opensshDefaultIdentities } from './ssh-config';

export interface SshTarget {
  hostname: string;
  port: number;
  user: string;
  identityFile?: string | null;
  /** From the SSH config: every IdentityFile, tried in this order (instead of identityFile and the defaults). */
  identityFiles?: string[];
  /** From the SSH config: its UserKnownHostsFile and GlobalKnownHostsFile, read besides the engine's. */
  knownHostsFiles?: string[];
  /** From the SSH config's IdentityAgent: a socket, or null for none. Undefined: the engine's agent. */
  agentSocket?: string | null;
  /** From the SSH config: CertificateFile (user certificates, which ssh2 cannot offer). */
  certificateFiles?: string[];
  /** From the SSH config: the name known_hosts lists the host under (HostKeyAlias). */
  hostKeyAlias?: string;
  /** From the SSH config: ConnectTimeout. */
  connectTimeoutMs?: number;
}

export interface SshTrust {
  knownHostsFiles: string[];
  /** Keys the user trusted in Tunebench for host:port. */
  trustedKeys(host: string, port: number): KnownKey[];
}

export interface SshOptions {
  trust: SshTrust;
  agentSocket?: string | undefined;
  /** Passphrases the user typed this session, by key file; never stored. */
  passphrases?: Map<string, string>;
  /** The whole handshake and login of one hop (default: 20 s, or the connect timeout if longer). */
  readyTimeoutMs?: number;
  /** For hops without their own ConnectTimeout: the TCP connect, and the handshake up to the host key. */
  connectTimeoutMs?: number;
  /** A ProxyCommand (tokens substituted) whose stdin/stdout carry the connection to the first hop. */
  proxyCommand?: string;
  /** Told the key each hop presents, before it is judged: `host trust` compares it with the user's fingerprint. */
  onHostKey?: (hop: SshTarget, key: PresentedKey) => void;
}

/** OpenSSH waits as long as TCP does (about two minutes) without ConnectTimeout: too long for a click. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/** Parses "user@host:port" (as in ProxyJump), with defaults from the final target. */
export function parseJumpSpec(spec: string, defaults: { user: string }): SshTarget[] {
  return parseJumpHops(spec).map((hop) => ({ user: hop.user ?? defaults.user, hostname: hop.hostname, port: hop.port ?? 22 }));
}

/** The hops of a ProxyJump as written: user and port only where given ("ssh://" URIs too). */
export function parseJumpHops(spec: string): { hostname: string; user?: string; port?: number }[] {
  return spec.split(',').map((hop) => {
    const m = /^(?:ssh:\/\/)?(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hop.trim());
    if (!m) throw new EngineError('VALIDATION_FAILED', `Cannot read the jump host "${hop}". Write it as [user@]host[:port].`);
    return { hostname: m[2]!.replace(/^\[|\]$/g, ''), ...(m[1] ? { user: m[1] } : {}), ...(m[3] ? { port: Number(m[3]) } : {}) };
  });
}

const expandHome = (file: string) => file.replace(/^~(?=\/|$)/, os.homedir());

/** The key files to try, in order; `optional` ones (OpenSSH's defaults) are skipped quietly when missing. */
function keyFiles(target: SshTarget): { file: string; optional: boolean }[] {
  if (target.identityFiles?.length) {
    const files = [...new Set(target.identityFiles.map(expandHome))];
    const defaults = opensshDefaultIdentities();
    return files.map((file) => ({ file, optional: defaults.includes(file) }));
  }
  if (target.identityFile) return [{ file: expandHome(target.identityFile), optional: false }];
  return DEFAULT_KEYS.map((k) => path.join(os.homedir(), '.ssh', k))
    .filter((f) => fs.existsSync(f))
    .map((file) => ({ file, optional: true }));
}

function authMethods(target: SshTarget, options: SshOptions, onNeedPassphrase: (file: string) => void, onUnreadable: (why: string) => void): AnyAuthMethod[] {
  const methods: AnyAuthMethod[] = [];
  const agent = target.agentSocket === undefined ? options.agentSocket : (target.agentSocket ?? undefined);
  if (agent) methods.push({ type: 'agent', username: target.user, agent });
  for (const { file, optional } of keyFiles(target)) {
    let text: Buffer;
    try {
      text = fs.readFileSync(file);
    } catch (err) {
      if (optional && (err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      // As OpenSSH does: a key file that cannot be read is skipped, and the other methods still run.
      onUnreadable(`cannot read the key file ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      continue;
    }
    const passphrase = options.passphrases?.get(file);
    const parsed = ssh2().utils.parseKey(text, passphrase);
    if (parsed instanceof Error) {
      if (/encrypted|passphrase/i.test(parsed.message)) {
        onNeedPassphrase(file);
        continue;
      }
      // From a config's list (a FIDO "_sk" key, say), the others are still tried, as OpenSSH does.
      if (optional || target.identityFiles?.length) {
        onUnreadable(`cannot use the key file ${file} (${parsed.message})`);
        continue;
      }
      throw new EngineError('AUTH_FAILED', `Cannot use the key file ${file}: ${parsed.message}.`);
    }
    methods.push({ type: 'publickey', username: target.user, key: text, ...(passphrase ? { passphrase } : {}) });
  }
  return methods;
}

function hostKeyError(target: SshTarget, presented: PresentedKey, verdict: ReturnType<typeof judgeHostKey>, authorities: KnownKey[]): EngineError {
  const where = `${target.hostname}:${target.port}`;
  if (verdict.verdict === 'mismatch') {
    const typeChanged = verdict.expectedType !== presented.keyType ? ` The key type changed too (${verdict.expectedType} was trusted): a server does not drop its key type on its own.` : '';
    return new EngineError(
      'HOST_KEY_MISMATCH',
      `The host key of ${where} has CHANGED: it presented ${presented.fingerprint} (${presented.keyType}), but ${verdict.source} trusts ${verdict.expected} (${verdict.expectedType}).${typeChanged} ` +
        "Someone may be intercepting the connection, or the server was reinstalled. Nothing was run. Confirm the new key with the server's administrator before trusting it.",
      {
        host: target.hostname,
        port: target.port,
        presented: presented.fingerprint,
        expected: verdict.expected,
        keyType: presented.keyType,
        expectedType: verdict.expectedType,
        source: verdict.source,
      },
    );
  }
  if (verdict.verdict === 'revoked') {
    return new EngineError('HOST_KEY_REVOKED', `The host key of ${where} (${presented.fingerprint}) is marked @revoked in known_hosts. Nothing was run.`, {
      host: target.hostname,
      port: target.port,
      presented: presented.fingerprint,
    });
  }
  if (authorities.length || presented.keyType.includes('-cert-')) {
    // ssh2 cannot check host certificates: say so, rather than "not trusted yet" for a host OpenSSH accepts.
    return new EngineError(
      'HOST_CERT_UNSUPPORTED',
      `Your known_hosts trusts ${where} through a certificate authority (@cert-authority), and Tunebench cannot check host certificates. ` +
        `The server's own key is ${presented.fingerprint} (${presented.keyType}): check it with the server's administrator, then trust it (CLI: tunebench host trust NAME --fingerprint ${presented.fingerprint}).`,
      { host: target.hostname, port: target.port, presented: presented.fingerprint, keyType: presented.keyType },
    );
  }
  return new EngineError(
    'HOST_KEY_UNKNOWN',
    `The host key of ${where} is not trusted yet: ${presented.fingerprint} (${presented.keyType}). Check it with the server's administrator, then trust it (CLI: tunebench host trust NAME --fingerprint ${presented.fingerprint}).`,
    { host: target.hostname, port: target.port, presented: presented.fingerprint, keyType: presented.keyType },
  );
}

const unreachable = (target: SshTarget, why: string) =>
  new EngineError('HOST_UNREACHABLE', `Cannot reach ${target.hostname}:${target.port}: ${why}. Check the address and your network; runs on it keep going.`, {
    host: target.hostname,
    port: target.port,
  });

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** Where `sock` came from, for errors: a ProxyCommand's complaint says more than "connection lost". */
interface SocketOrigin {
  describe(): string;
  /** Resolves once the ProxyCommand exited (or after a second): its exit status belongs in the error. */
  ended(): Promise<void>;
}

function connectOne(target: SshTarget, sock: net.Socket | NodeJS.ReadableStream, options: SshOptions, origin?: SocketOrigin): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new (ssh2().Client)();
    let hostKeyProblem: EngineError | undefined;
    let needPassphrase: string | undefined;
    const unreadable: string[] = [];
    let settled = false;
    let failing = false; // waiting for a ProxyCommand to exit, to say why it failed
    const connectTimeout = target.connectTimeoutMs ?? options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const readyTimeout = options.readyTimeoutMs ?? Math.max(20_000, connectTimeout);
    // Up to the host key, as OpenSSH's ConnectTimeout: a port that accepts and never speaks SSH.
    const handshakeTimer = setTimeout(() => failing || fail(unreachable(target, `it accepted the connection but did not answer as an SSH server within ${seconds(connectTimeout)}`)), connectTimeout);
    const fail = (err: EngineError) => {
      clearTimeout(handshakeTimer);
      if (settled) return;
      settled = true;
      client.end();
      (sock as { destroy?: () => void }).destroy?.();
      reject(err);
    };
    /** The link failed: with what a ProxyCommand said and its exit status, once it has exited. */
    const failUnreachable = (why: string, whyOnlyIfSilent = false) => {
      if (!origin) return fail(unreachable(target, why));
      if (failing || settled) return;
      failing = true;
      void origin.ended().then(() => {
        const said = origin.describe();
        fail(unreachable(target, said ? (whyOnlyIfSilent ? said : `${why} (${said})`) : why));
      });
    };
    let methods: AnyAuthMethod[];
    try {
      methods = authMethods(
        target,
        options,
        (file) => (needPassphrase = file),
        (why) => unreadable.push(why),
      );
    } catch (err) {
      clearTimeout(handshakeTimer);
      (sock as { destroy?: () => void }).destroy?.(); // a ProxyCommand must not outlive the attempt
      reject(err);
      return;
    }
    // known_hosts is read once per connect: for the algorithm order and for the verdict.
    const files = [...options.trust.knownHostsFiles, ...(target.knownHostsFiles ?? [])];
    const lookup = target.hostKeyAlias ? { name: target.hostKeyAlias, port: 22 } : { name: target.hostname, port: target.port };
    const fromFiles = files.flatMap((f) => knownHostKeys(f, lookup.name, lookup.port));
    const fromApp = options.trust.trustedKeys(target.hostname, target.port);
    const authorities = files.flatMap((f) => knownHostAuthorities(f, lookup.name, lookup.port));
    const preferred = hostKeyAlgorithms([...fromFiles, ...fromApp].filter((k) => !k.revoked).map((k) => k.keyType));
    const config: ConnectConfig = {
      sock: sock as ConnectConfig['sock'],
      username: target.user,
      readyTimeout,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      ...(preferred ? { algorithms: { serverHostKey: preferred as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] } } : {}),
      hostVerifier: (key: Buffer) => {
        clearTimeout(handshakeTimer);
        const presented = describeKey(key);
        options.onHostKey?.(target, presented);
        const verdict = judgeHostKey(presented, [
          { source: 'known_hosts', keys: fromFiles },
          { source: 'tunebench', keys: fromApp },
        ]);
        if (verdict.verdict === 'trusted') return true;
        hostKeyProblem = hostKeyError(target, presented, verdict, authorities);
        return false;
      },
      authHandler: (_methodsLeft, _partial, next) => {
        const method = methods.shift();
        (next as (m: AnyAuthMethod | false) => void)(method ?? false);
      },
    };
    client.on('ready', () => {
      clearTimeout(handshakeTimer);
      settled = true;
      resolve(client);
    });
    client.on('error', (err: Error & { level?: string }) => {
      if (hostKeyProblem) return fail(hostKeyProblem);
      if (err.level === 'client-authentication') {
        if (needPassphrase) {
          return fail(
            new EngineError(
              'PASSPHRASE_REQUIRED',
              `The key ${needPassphrase} is encrypted. Enter its passphrase (kept in memory only; the CLI asks on a terminal), or add the key to your SSH agent.`,
              { keyFile: needPassphrase },
            ),
          );
        }
        const notes = unreadable.length ? ` Also: ${unreadable.join('; ')}.` : '';
        const certs = target.certificateFiles?.length
          ? ` Your SSH config gives a certificate (${target.certificateFiles.join(', ')}): Tunebench cannot log in with SSH certificates, so the server must accept the plain key.`
          : '';
        return fail(
          new EngineError(
            'AUTH_FAILED',
            `${target.user}@${target.hostname}:${target.port} refused every key we offered (agent and key files). Check the user name and that your public key is in the server's authorized_keys.${notes}${certs}`,
          ),
        );
      }
      if (err.level === 'client-timeout' && !settled) return fail(unreachable(target, `the SSH handshake and login did not finish within ${seconds(readyTimeout)}`));
      failUnreachable(err.message);
    });
    // A stream that closes without an error (a ProxyCommand that exits) must not leave the caller waiting.
    client.on('close', () => {
      if (!settled) failUnreachable('the connection closed before the SSH handshake finished', true);
    });
    client.connect(config);
  });
}

function tcpSocket(target: SshTarget, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: target.hostname, port: target.port, noDelay: true });
    sock.setNoDelay(true);
    // An address that drops packets never answers the SYN: TCP alone would retry for about two minutes.
    const timer = setTimeout(() => {
      sock.destroy();
      reject(unreachable(target, `no answer to the TCP connect within ${seconds(timeoutMs)} (a wrong address, a firewall, or a VPN that is down)`));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      resolve(sock);
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(unreachable(target, err.message));
    });
  });
}

/**
 * A ProxyCommand run on this machine (by /bin/sh, as `exec COMMAND`, the way ssh runs it): its stdio
 * is the connection. It ends when the connection does.
 */
function proxySocket(command: string): { sock: Duplex; origin: SocketOrigin } {
  const child = spawn('/bin/sh', ['-c', `exec ${command}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const sock = Duplex.from({ readable: child.stdout, writable: child.stdin });
  child.on('error', (err) => sock.destroy(err));
  child.stdin.on('error', () => {}); // a proxy that exits first: the exit says why
  sock.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const origin: SocketOrigin = {
    ended: () => Promise.race([exited, new Promise<void>((resolve) => setTimeout(resolve, 1000).unref())]),
    describe: () => {
      const said = stderr.trim().split('\n').slice(-3).join(' ');
      const exit = child.exitCode !== null ? ` exited with ${child.exitCode}` : '';
      return exit || said ? `the ProxyCommand \`${command}\`${exit}${said ? `: ${said}` : ''}` : '';
    },
  };
  return { sock, origin };
}

/** Connects through each jump host in turn; closing the returned client closes the whole chain. */
export async function connectSsh(target: SshTarget, jumps: SshTarget[], options: SshOptions): Promise<Client> {
  const chain: Client[] = [];
  try {
    const first = jumps[0] ?? target;
    let sock: net.Socket | NodeJS.ReadableStream;
    let origin: SocketOrigin | undefined;
    if (options.proxyCommand) ({ sock, origin } = proxySocket(options.proxyCommand));
    else sock = await tcpSocket(first, first.connectTimeoutMs ?? options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
    const hops = [...jumps, target];
    for (let i = 0; i < hops.length; i++) {
      const client = await connectOne(hops[i]!, sock, options, i === 0 ? origin : undefined);
      chain.push(client);
      const next = hops[i + 1];
      if (next) {
        const jump = hops[i]!;
        const limit = next.connectTimeoutMs ?? options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
        sock = await new Promise<NodeJS.ReadableStream>((resolve, reject) => {
          // The jump host's own TCP connect to an address that drops packets would take minutes too.
          const timer = setTimeout(
            () =>
              reject(
                new EngineError('HOST_UNREACHABLE', `Jump host ${jump.hostname} could not reach ${next.hostname}:${next.port} within ${seconds(limit)}. Check the address as the jump host sees it.`, {
                  host: next.hostname,
                  port: next.port,
                }),
              ),
            limit,
          );
          client.forwardOut('127.0.0.1', 0, next.hostname, next.port, (err, stream) => {
            clearTimeout(timer);
            if (err) reject(new EngineError('HOST_UNREACHABLE', `Jump host ${jump.hostname} cannot reach ${next.hostname}:${next.port}: ${err.message}.`, { host: next.hostname, port: next.port }));
            else resolve(stream);
          });
        });
      }
    }
    const last = chain[chain.length - 1]!;
    last.on('close', () => chain.slice(0, -1).forEach((c) => c.end()));
    return last;
  } catch (err) {
    chain.forEach((c) => c.end());
    throw err;
  }
}
