// A pooled SSH connection whose link has just dropped (a server restarted, a socket reset) against a real
// OpenSSH server: the pool takes it for gone before ssh2 says so, and a command on it is HOST_UNREACHABLE,
// never an unexpected error (a probe right after the server restarted failed so in the full test run).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import type { Host } from '../../src/shared/domain/host';
import { startSshd, type TestSshd } from '../support/sshd.mjs';
import { tempDir } from '../support/tunebench';

let sshd: TestSshd;
let engine: Engine;
let host: Host;

beforeAll(async () => {
  sshd = await startSshd();
  engine = openEngine({ dataDir: tempDir(), knownHostsFiles: [], agentSocket: '' });
  host = await engine.call('hosts.add', { name: 'box', hostname: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.clientKey, python: '/usr/bin/python3' });
  await engine.call('hosts.trust', { ref: 'box', fingerprint: sshd.hostKeyFingerprint });
}, 60_000);
afterAll(async () => {
  engine?.close();
  await sshd?.stop();
});

/** Cuts the pooled connection's socket under ssh2, which says 'close' only some ticks later. */
const cut = (access: unknown) => (access as { client: { _sock: { destroy(): void } } }).client._sock.destroy();

describe('a pooled connection whose link just dropped', () => {
  it('is gone at once: the next user action connects anew and works', async () => {
    expect((await engine.call('hosts.probe', { ref: 'box' })).cpus).toBeGreaterThan(0);
    const pooled = await engine.hosts.access(host);
    cut(pooled);
    expect(pooled.closed).toBe(true);
    expect((await engine.call('hosts.probe', { ref: 'box' })).cpus).toBeGreaterThan(0);
    expect(await engine.hosts.access(host)).not.toBe(pooled);
  });

  it('refuses a command, a long-lived command and a file as HOST_UNREACHABLE, saying to try again', async () => {
    const pooled = await engine.hosts.access(host);
    expect((await pooled.exec('true')).code).toBe(0);
    cut(pooled);
    const unreachable = { code: 'HOST_UNREACHABLE', message: expect.stringMatching(/Try again; the connection is made anew\.$/) };
    await expect(pooled.exec('true')).rejects.toMatchObject(unreachable);
    await expect(
      pooled.spawn(
        'cat',
        () => {},
        () => {},
      ),
    ).rejects.toMatchObject(unreachable);
    await expect(pooled.writeFile('/tmp/tb-dropped-link', 'x')).rejects.toMatchObject(unreachable);
  });
});
