// Changing a host: what it records, and that a change to how it is reached takes effect at the next use
// (the pooled connection is dropped), while a change of Python keeps the connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import { startSshd, type TestSshd } from '../support/sshd.mjs';
import { cli, tempDir } from '../support/tunebench';

let sshd: TestSshd;
let engine: Engine;

async function whoami(): Promise<string> {
  const host = engine.hosts.get('box');
  const access = await engine.hosts.access(host, { now: true });
  return (await access.exec('id -un', { timeoutMs: 20_000 })).stdout.trim();
}

beforeAll(async () => {
  sshd = await startSshd({ secondUser: true });
  engine = openEngine({ dataDir: tempDir(), knownHostsFiles: [], agentSocket: '' });
  await engine.call('hosts.add', { name: 'box', hostname: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.clientKey, python: '/usr/bin/python3' });
  await engine.call('hosts.trust', { ref: 'box', fingerprint: sshd.hostKeyFingerprint });
}, 60_000);
afterAll(async () => {
  engine?.close();
  await sshd?.stop();
});

describe('changing a host', () => {
  it('reconnects as the new user after the user changes, and keeps the connection when only Python changes', { timeout: 60_000 }, async () => {
    expect(await whoami()).toBe(sshd.user);
    const first = await engine.hosts.access(engine.hosts.get('box'));
    await engine.call('hosts.configure', { ref: 'box', python: 'python3' });
    expect(await engine.hosts.access(engine.hosts.get('box'))).toBe(first); // read at each use: no reconnect
    const changed = await engine.call('hosts.configure', { ref: 'box', user: sshd.second!.user });
    expect(changed.user).toBe(sshd.second!.user);
    expect(await whoami()).toBe(sshd.second!.user);
    expect(first.closed).toBe(true);
  });

  it('uses a new port at the next use, and says the host is unreachable on a port nothing listens on', { timeout: 60_000 }, async () => {
    await engine.call('hosts.configure', { ref: 'box', user: sshd.user });
    expect(await whoami()).toBe(sshd.user);
    await engine.call('hosts.configure', { ref: 'box', port: 1 });
    await expect(engine.call('hosts.probe', { ref: 'box' })).rejects.toMatchObject({ code: 'HOST_UNREACHABLE' });
    // Back to the right port: no backoff left from the failures on the wrong one.
    await engine.call('hosts.configure', { ref: 'box', port: sshd.port });
    expect(await whoami()).toBe(sshd.user);
  });

  it('clears the key file and jump hosts with null, and keeps the last probe until Python changes', { timeout: 60_000 }, async () => {
    await engine.call('hosts.configure', { ref: 'box', proxyJump: 'jump.example' });
    expect((await engine.call('hosts.configure', { ref: 'box', proxyJump: null, identityFile: null })).identityFile).toBeNull();
    await engine.call('hosts.configure', { ref: 'box', identityFile: sshd.clientKey });
    expect(engine.hosts.get('box')).toMatchObject({ proxyJump: null, identityFile: sshd.clientKey });
    await engine.call('hosts.probe', { ref: 'box' });
    expect((await engine.call('hosts.lastProbes', {})).map((p) => p.hostName)).toEqual(['box']);
    await engine.call('hosts.configure', { ref: 'box', runRoot: '~/elsewhere' });
    expect((await engine.call('hosts.lastProbes', {})).map((p) => p.hostName)).toEqual(['box']);
    await engine.call('hosts.configure', { ref: 'box', python: '/usr/bin/python3' });
    expect(await engine.call('hosts.lastProbes', {})).toEqual([]);
  });

  it('does not keep a probe that was under way when the host was configured anew: it says to probe again', { timeout: 60_000 }, async () => {
    const probing = engine.call('hosts.probe', { ref: 'box' });
    await engine.call('hosts.configure', { ref: 'box', python: 'python3' });
    await expect(probing).rejects.toMatchObject({ code: 'HOST_CHANGED', message: expect.stringMatching(/box was configured anew while it was being probed.*Probe it again\./) });
    expect(await engine.call('hosts.lastProbes', {})).toEqual([]);
    await engine.call('hosts.probe', { ref: 'box' });
    expect((await engine.call('hosts.lastProbes', {})).map((p) => p.hostName)).toEqual(['box']);
    await engine.call('hosts.configure', { ref: 'box', python: '/usr/bin/python3' });
  });

  it('refuses to give the local host an address, and a jump spec it cannot read', async () => {
    await expect(engine.call('hosts.configure', { ref: 'local', user: 'someone' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: /local host is this machine/ });
    await expect(engine.call('hosts.configure', { ref: 'box', proxyJump: 'a@b@c:x' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(engine.call('hosts.configure', { ref: 'box' } as never)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: /Give something to change/ });
  });

  it('replaces a cluster’s defaults whole when asked, and changes only the keys given otherwise', async () => {
    await engine.call('hosts.add', { name: 'cluster', hostname: 'login.example', slurm: { partition: 'gpu', account: 'lab' } });
    expect((await engine.call('hosts.configure', { ref: 'cluster', slurm: { qos: 'high' } })).slurm).toEqual({ partition: 'gpu', account: 'lab', qos: 'high' });
    expect((await engine.call('hosts.configure', { ref: 'cluster', slurm: { partition: 'cpu' }, replaceSlurm: true })).slurm).toEqual({ partition: 'cpu' });
  });
});

describe('`tunebench host set`', () => {
  it('changes the user, port, key and jump hosts, and forgets the key with --no-identity', { timeout: 60_000 }, () => {
    const dataDir = tempDir();
    expect(cli(['host', 'add', 'gpu', '--hostname', '10.0.0.5', '--identity', '/keys/a'], { dataDir }).code).toBe(0);
    const set = cli(['host', 'set', 'gpu', '--user', 'ann', '--port', '2222', '--proxy-jump', 'bastion', '--hostname', '10.0.0.6', '--json'], { dataDir });
    expect(set.code).toBe(0);
    expect(set.json()).toMatchObject({ user: 'ann', port: 2222, proxyJump: 'bastion', hostname: '10.0.0.6', identityFile: '/keys/a' });
    const cleared = cli(['host', 'set', 'gpu', '--no-identity', '--no-proxy-jump', '--json'], { dataDir });
    expect(cleared.json()).toMatchObject({ identityFile: null, proxyJump: null, user: 'ann' });
    expect(cli(['host', 'set', 'gpu', '--identity', '/k', '--no-identity'], { dataDir }).code).not.toBe(0);
  });
});
