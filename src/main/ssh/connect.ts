// One SSH connection: host key verified before authenticating, agent then key files, jump hosts
// chained through forwardOut, low-latency sockets (noDelay), keepalive.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AnyAuthMethod, Client, ConnectConfig } from 'ssh2';
import { ssh2 } from './ssh2';
import { EngineError } from '../errors';
import { describeKey, judgeHostKey, knownHostKeys, type KnownKey, type PresentedKey } from './host-keys';

export interface SshTarget {
  hostname: string;
  port: number;
  user: string;
  identityFile?: string | null;
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
  readyTimeoutMs?: number;
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/** Parses "user@host:port" (as in ProxyJump), with defaults from the final target. */
export function parseJumpSpec(spec: string, defaults: { user: string }): SshTarget[] {
  return spec.split(',').map((hop) => {
    const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hop.trim());
    if (!m) throw new EngineError('VALIDATION_FAILED', `Cannot read the jump host "${hop}". Write it as [user@]host[:port].`);
    return { user: m[1] ?? defaults.user, hostname: m[2]!.replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : 22 };
  });
}

function keyFiles(target: SshTarget): string[] {
  if (target.identityFile) return [target.identityFile.replace(/^~(?=\/)/, os.homedir())];
  return DEFAULT_KEYS.map((k) => path.join(os.homedir(), '.ssh', k)).filter((f) => fs.existsSync(f));
}

function authMethods(target: SshTarget, options: SshOptions, onNeedPassphrase: (file: string) => void, onUnreadable: (why: string) => void): AnyAuthMethod[] {
  const methods: AnyAuthMethod[] = [];
  if (options.agentSocket) methods.push({ type: 'agent', username: target.user, agent: options.agentSocket });
  for (const file of keyFiles(target)) {
    let text: Buffer;
    try {
      text = fs.readFileSync(file);
    } catch (err) {
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
      throw new EngineError('AUTH_FAILED', `Cannot use the key file ${file}: ${parsed.message}.`);
    }
    methods.push({ type: 'publickey', username: target.user, key: text, ...(passphrase ? { passphrase } : {}) });
  }
  return methods;
}

function hostKeyError(target: SshTarget, presented: PresentedKey, verdict: ReturnType<typeof judgeHostKey>): EngineError {
  const where = `${target.hostname}:${target.port}`;
  if (verdict.verdict === 'mismatch') {
    return new EngineError(
      'HOST_KEY_MISMATCH',
      `The host key of ${where} has CHANGED: it presented ${presented.fingerprint} (${presented.keyType}), but ${verdict.source} trusts ${verdict.expected}. ` +
        'Someone may be intercepting the connection, or the server was reinstalled. Nothing was run. Confirm the new key with the server\'s administrator before trusting it.',
      { host: target.hostname, port: target.port, presented: presented.fingerprint, expected: verdict.expected, keyType: presented.keyType, source: verdict.source },
    );
  }
  if (verdict.verdict === 'revoked') {
    return new EngineError('HOST_KEY_REVOKED', `The host key of ${where} (${presented.fingerprint}) is marked @revoked in known_hosts. Nothing was run.`, {
      host: target.hostname,
      port: target.port,
      presented: presented.fingerprint,
    });
  }
  return new EngineError(
    'HOST_KEY_UNKNOWN',
    `The host key of ${where} is not trusted yet: ${presented.fingerprint} (${presented.keyType}). Check it with the server's administrator, then trust it (CLI: tunebench host trust NAME --fingerprint ${presented.fingerprint}).`,
    { host: target.hostname, port: target.port, presented: presented.fingerprint, keyType: presented.keyType },
  );
}

function connectOne(target: SshTarget, sock: net.Socket | NodeJS.ReadableStream, options: SshOptions): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new (ssh2().Client)();
    let hostKeyProblem: EngineError | undefined;
    let needPassphrase: string | undefined;
    const unreadable: string[] = [];
    let settled = false;
    const fail = (err: EngineError) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(err);
    };
    let methods: AnyAuthMethod[];
    try {
      methods = authMethods(target, options, (file) => (needPassphrase = file), (why) => unreadable.push(why));
    } catch (err) {
      reject(err);
      return;
    }
    const config: ConnectConfig = {
      sock: sock as ConnectConfig['sock'],
      username: target.user,
      readyTimeout: options.readyTimeoutMs ?? 20_000,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      hostVerifier: (key: Buffer) => {
        const presented = describeKey(key);
        const verdict = judgeHostKey(presented, [
          { source: 'known_hosts', keys: options.trust.knownHostsFiles.flatMap((f) => knownHostKeys(f, target.hostname, target.port)) },
          { source: 'tunebench', keys: options.trust.trustedKeys(target.hostname, target.port) },
        ]);
        if (verdict.verdict === 'trusted') return true;
        hostKeyProblem = hostKeyError(target, presented, verdict);
        return false;
      },
      authHandler: (_methodsLeft, _partial, next) => {
        const method = methods.shift();
        (next as (m: AnyAuthMethod | false) => void)(method ?? false);
      },
    };
    client.on('ready', () => {
      settled = true;
      resolve(client);
    });
    client.on('error', (err: Error & { level?: string }) => {
      if (hostKeyProblem) return fail(hostKeyProblem);
      if (err.level === 'client-authentication') {
        if (needPassphrase) {
          return fail(new EngineError('PASSPHRASE_REQUIRED', `The key ${needPassphrase} is encrypted. Enter its passphrase (kept in memory only; the CLI asks on a terminal), or add the key to your SSH agent.`, { keyFile: needPassphrase }));
        }
        const notes = unreadable.length ? ` Also: ${unreadable.join('; ')}.` : '';
        return fail(new EngineError('AUTH_FAILED', `${target.user}@${target.hostname}:${target.port} refused every key we offered (agent and key files). Check the user name and that your public key is in the server's authorized_keys.${notes}`));
      }
      fail(new EngineError('HOST_UNREACHABLE', `Cannot reach ${target.hostname}:${target.port}: ${err.message}. Check the address and your network; runs on it keep going.`));
    });
    client.connect(config);
  });
}

function tcpSocket(hostname: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: hostname, port, noDelay: true });
    sock.setNoDelay(true);
    sock.once('connect', () => resolve(sock));
    sock.once('error', (err) =>
      reject(new EngineError('HOST_UNREACHABLE', `Cannot reach ${hostname}:${port}: ${err.message}. Check the address and your network; runs on it keep going.`)),
    );
  });
}

/** Connects through each jump host in turn; closing the returned client closes the whole chain. */
export async function connectSsh(target: SshTarget, jumps: SshTarget[], options: SshOptions): Promise<Client> {
  const chain: Client[] = [];
  try {
    const first = jumps[0] ?? target;
    let sock: net.Socket | NodeJS.ReadableStream = await tcpSocket(first.hostname, first.port);
    const hops = [...jumps, target];
    for (let i = 0; i < hops.length; i++) {
      const client = await connectOne(hops[i]!, sock, options);
      chain.push(client);
      const next = hops[i + 1];
      if (next) {
        sock = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
          client.forwardOut('127.0.0.1', 0, next.hostname, next.port, (err, stream) =>
            err ? reject(new EngineError('HOST_UNREACHABLE', `Jump host ${hops[i]!.hostname} cannot reach ${next.hostname}:${next.port}: ${err.message}.`)) : resolve(stream),
          ),
        );
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
