// Time limits before the SSH handshake (review, issue 13, finding 11), without leaving loopback: a
// port whose listen queue is full (the SYN is dropped, as by an address that drops packets) for
// the TCP connect, and a server that accepts and never speaks SSH for the handshake. Either fails
// with HOST_UNREACHABLE and a sentence, instead of holding the user for about two minutes.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine } from '../../src/main/app';
import type { CallError } from '../../src/main/rpc/dispatch';
import { connectSsh, DEFAULT_CONNECT_TIMEOUT_MS } from '../../src/main/ssh/connect';
import { EngineError } from '../../src/main/errors';
import { startSshd } from '../support/sshd.mjs';
import { tempDir } from '../support/tunebench';

let silent: net.Server;
let silentPort: number;
const held: net.Socket[] = [];
let backlog: ChildProcess;
let fullPort: number;
const fillers: net.Socket[] = [];

beforeAll(async () => {
  silent = net.createServer((sock) => held.push(sock));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as net.AddressInfo).port;
  // Listens with a backlog of 0 and never accepts: once one connection waits in its queue, Linux
  // drops the next SYNs, so a connect hangs as it does to an address that drops packets.
  backlog = spawn('/usr/bin/python3', ['-c', 'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(600)'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  fullPort = await new Promise<number>((resolve) => backlog.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
  // The first filler takes the queue's one place (it connects; nothing accepts it); the second's SYN
  // is dropped. Wait for the first to be queued rather than for a guessed time.
  const queued = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the first filler connection was not queued within 5 s')), 5000);
    for (let i = 0; i < 2; i++) {
      const s = net.connect({ host: '127.0.0.1', port: fullPort });
      s.on('error', () => {});
      if (i === 0)
        s.once('connect', () => {
          clearTimeout(timer);
          resolve();
        });
      fillers.push(s);
    }
  });
  await queued;
});

afterAll(() => {
  held.forEach((s) => s.destroy());
  fillers.forEach((s) => s.destroy());
  silent?.close();
  backlog?.kill();
});

const trust = { knownHostsFiles: [], trustedKeys: () => [] };

async function timed(p: Promise<unknown>): Promise<{ ms: number; error: EngineError }> {
  const started = Date.now();
  try {
    await p;
  } catch (err) {
    return { ms: Date.now() - started, error: err as EngineError };
  }
  throw new Error('it connected');
}

describe('connect time limits', () => {
  it('give up on a TCP connect that is never answered', async () => {
    const { ms, error } = await timed(connectSsh({ hostname: '127.0.0.1', port: fullPort, user: 'nobody' }, [], { trust, agentSocket: '', connectTimeoutMs: 800 }));
    expect(error).toBeInstanceOf(EngineError);
    expect(error.code).toBe('HOST_UNREACHABLE');
    expect(error.message).toMatch(/no answer to the TCP connect within 0\.8 s/);
    expect(ms).toBeLessThan(3_000);
  }, 20_000);

  it('give up on a server that accepts and never speaks SSH', async () => {
    const { ms, error } = await timed(connectSsh({ hostname: '127.0.0.1', port: silentPort, user: 'nobody' }, [], { trust, agentSocket: '', connectTimeoutMs: 800 }));
    expect(error.code).toBe('HOST_UNREACHABLE');
    expect(error.message).toMatch(/accepted the connection but did not answer as an SSH server within 0\.8 s/);
    expect(ms).toBeLessThan(3_000);
  }, 20_000);

  it('take a ConnectTimeout given per host over the default', async () => {
    const { ms, error } = await timed(connectSsh({ hostname: '127.0.0.1', port: fullPort, user: 'nobody', connectTimeoutMs: 500 }, [], { trust, agentSocket: '', connectTimeoutMs: 60_000 }));
    expect(error.code).toBe('HOST_UNREACHABLE');
    expect(ms).toBeLessThan(3_000);
  }, 20_000);

  it('give up when a jump host cannot reach the target in time', async () => {
    const jump = await startSshd();
    try {
      const jumpTrust = { knownHostsFiles: [], trustedKeys: () => [{ keyType: 'ssh-ed25519', fingerprint: jump.hostKeyFingerprint, revoked: false }] };
      const { ms, error } = await timed(
        connectSsh({ hostname: '127.0.0.1', port: fullPort, user: 'nobody', connectTimeoutMs: 800 }, [{ hostname: '127.0.0.1', port: jump.port, user: jump.user, identityFile: jump.clientKey }], {
          trust: jumpTrust,
          agentSocket: '',
        }),
      );
      expect(error.code).toBe('HOST_UNREACHABLE');
      expect(error.message).toMatch(/Jump host 127\.0\.0\.1 could not reach 127\.0\.0\.1:\d+ within 0\.8 s/);
      expect(ms).toBeLessThan(5_000);
    } finally {
      await jump.stop();
    }
  }, 30_000);

  it(`default to ${DEFAULT_CONNECT_TIMEOUT_MS / 1000} s for a host added by hand`, async () => {
    expect(DEFAULT_CONNECT_TIMEOUT_MS).toBeLessThanOrEqual(20_000);
    const engine = openEngine({ dataDir: tempDir(), knownHostsFiles: [], agentSocket: '' });
    try {
      await engine.call('hosts.add', { name: 'dropped', hostname: '127.0.0.1', port: fullPort, user: 'nobody' });
      const started = Date.now();
      const error = await engine.call('hosts.probe', { ref: 'dropped' }).then(
        () => undefined,
        (e: CallError) => e.info,
      );
      expect(error).toMatchObject({ code: 'HOST_UNREACHABLE', message: expect.stringMatching(/no answer to the TCP connect within 15 s/) });
      expect(Date.now() - started).toBeLessThan(DEFAULT_CONNECT_TIMEOUT_MS + 3_000);
    } finally {
      engine.close();
    }
  }, 40_000);
});
