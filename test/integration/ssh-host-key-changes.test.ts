// Host keys against real OpenSSH servers (review, issue 13, findings 4, 10 and 11): a key of another
// type than the trusted one is a changed key; the trusted type is preferred when the server has
// several; `host trust` compares the fingerprint with what the server presents even when its key is
// trusted already; a jump host's key can be trusted; @cert-authority is said to be unsupported.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import type { CallError } from '../../src/main/rpc/dispatch';
import { startSshd, type TestSshd } from '../support/sshd.mjs';
import { tempDir } from '../support/tunebench';

const servers: TestSshd[] = [];
const engines: Engine[] = [];
afterEach(async () => {
  engines.splice(0).forEach((e) => e.close());
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function server(options: Parameters<typeof startSshd>[0] = {}): Promise<TestSshd> {
  const s = await startSshd(options);
  servers.push(s);
  return s;
}

function engine(knownHostsFiles: string[] = []): Engine {
  const e = openEngine({ dataDir: tempDir(), knownHostsFiles, agentSocket: '' });
  engines.push(e);
  return e;
}

const addHost = (e: Engine, sshd: TestSshd, extra: Record<string, unknown> = {}) =>
  e.call('hosts.add', { name: 'box', hostname: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.clientKey, python: '/usr/bin/python3', ...extra });

const failure = (p: Promise<unknown>) =>
  p.then(
    () => ({ code: 'OK', message: '', details: undefined as Record<string, unknown> | undefined }),
    (e: CallError) => ({ code: e.info?.code ?? String(e), message: e.info?.message ?? '', details: e.info?.details as Record<string, unknown> | undefined }),
  );

const publicKey = (sshd: TestSshd, file: string) =>
  fs
    .readFileSync(path.join(sshd.dir, `${file}.pub`), 'utf8')
    .trim()
    .split(/\s+/)
    .slice(0, 2)
    .join(' ');

describe('a host key of another type', () => {
  it('is a changed key when the ed25519 key was trusted in Tunebench, and trusting the new one replaces the old', async () => {
    const sshd = await server();
    const e = engine();
    await addHost(e, sshd);
    const ed25519 = sshd.hostKeyFingerprint;
    await e.call('hosts.trust', { ref: 'box', fingerprint: ed25519 });
    expect((await e.call('hosts.probe', { ref: 'box' })).cpus).toBeGreaterThan(0);

    const rsa = await sshd.restartWithHostKeyType('rsa');
    const changed = await failure(e.call('hosts.probe', { ref: 'box' }));
    expect(changed.code).toBe('HOST_KEY_MISMATCH');
    expect(changed.message).toMatch(/has CHANGED: it presented .* \(ssh-rsa\), but tunebench trusts .* \(ssh-ed25519\)/);
    expect(changed.details).toMatchObject({ presented: rsa, expected: ed25519, keyType: 'ssh-rsa' });

    // Confirmed with the administrator: the new key replaces the old, which is no longer trusted.
    expect((await failure(e.call('hosts.trust', { ref: 'box', fingerprint: ed25519 }))).code).toBe('FINGERPRINT_MISMATCH');
    expect(await e.call('hosts.trust', { ref: 'box', fingerprint: rsa })).toMatchObject({ alreadyTrusted: false, keyType: 'ssh-rsa' });
    expect(e.hosts.trustedKeys('127.0.0.1', sshd.port).map((k) => k.fingerprint)).toEqual([rsa]);
    expect((await e.call('hosts.probe', { ref: 'box' })).cpus).toBeGreaterThan(0);
  });

  it('is a changed key when known_hosts lists the ed25519 key, and the old line must go first', async () => {
    const sshd = await server();
    const knownHosts = path.join(tempDir(), 'known_hosts');
    fs.writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${publicKey(sshd, 'host_ed25519')}\n`);
    const e = engine([knownHosts]);
    await addHost(e, sshd);
    expect((await e.call('hosts.probe', { ref: 'box' })).cpus).toBeGreaterThan(0);
    const rsa = await sshd.restartWithHostKeyType('rsa');
    expect(await failure(e.call('hosts.probe', { ref: 'box' }))).toMatchObject({ code: 'HOST_KEY_MISMATCH', details: { source: 'known_hosts', presented: rsa } });
    const refused = await failure(e.call('hosts.trust', { ref: 'box', fingerprint: rsa }));
    expect(refused.code).toBe('HOST_KEY_MISMATCH');
    expect(refused.message).toContain(`ssh-keygen -R '[127.0.0.1]:${sshd.port}'`);
  });

  it('is not met when the server also has the trusted type: that type is negotiated', async () => {
    const sshd = await server();
    const ed25519 = sshd.hostKeyFingerprint;
    const rsa = await sshd.restartWithHostKeyType('rsa', { keepOld: true });
    // Only the RSA key is trusted; ssh2 alone would prefer the server's ed25519 key.
    const knownHosts = path.join(tempDir(), 'known_hosts');
    const rsaFile = fs
      .readdirSync(sshd.dir)
      .find((f) => /^host_rsa_\d+\.pub$/.test(f))!
      .replace(/\.pub$/, '');
    fs.writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${publicKey(sshd, rsaFile)}\n`);
    const e = engine([knownHosts]);
    await addHost(e, sshd);
    expect((await e.call('hosts.probe', { ref: 'box' })).cpus).toBeGreaterThan(0);
    // And the same through Tunebench's own store, the other way round.
    const e2 = engine();
    await addHost(e2, sshd);
    // Trusted before (as an earlier `host trust` would have left it).
    e2.db.prepare('INSERT INTO trusted_host_keys (host, port, key_type, fingerprint, trusted_at) VALUES (?, ?, ?, ?, ?)').run('127.0.0.1', sshd.port, 'ssh-rsa', rsa, Date.now());
    expect((await e2.call('hosts.probe', { ref: 'box' })).cpus).toBeGreaterThan(0);
    expect(await e2.call('hosts.trust', { ref: 'box', fingerprint: rsa })).toMatchObject({ alreadyTrusted: true, keyType: 'ssh-rsa' });
    expect((await failure(e2.call('hosts.trust', { ref: 'box', fingerprint: ed25519 }))).code).toBe('FINGERPRINT_MISMATCH');
  });
});

describe('host trust of a host already trusted', () => {
  it('compares the fingerprint with the key the server presents, even when the login then fails', async () => {
    const sshd = await server();
    const e = engine();
    await addHost(e, sshd);
    await e.call('hosts.trust', { ref: 'box', fingerprint: sshd.hostKeyFingerprint });
    const wrong = 'SHA256:' + 'B'.repeat(43);
    const refused = await failure(e.call('hosts.trust', { ref: 'box', fingerprint: wrong }));
    expect(refused.code).toBe('FINGERPRINT_MISMATCH');
    expect(refused.message).toContain(sshd.hostKeyFingerprint);
    expect(e.hosts.trustedKeys('127.0.0.1', sshd.port).map((k) => k.fingerprint)).toEqual([sshd.hostKeyFingerprint]);
    expect(await e.call('hosts.trust', { ref: 'box', fingerprint: sshd.hostKeyFingerprint })).toMatchObject({ alreadyTrusted: true, keyType: 'ssh-ed25519', fingerprint: sshd.hostKeyFingerprint });
    // A key file that cannot log in: the host key was still presented and checked.
    await e.call('hosts.add', { name: 'nokey', hostname: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: path.join(sshd.dir, 'missing-key') });
    expect(await e.call('hosts.trust', { ref: 'nokey', fingerprint: sshd.hostKeyFingerprint })).toMatchObject({ alreadyTrusted: true });
    expect((await failure(e.call('hosts.trust', { ref: 'nokey', fingerprint: wrong }))).code).toBe('FINGERPRINT_MISMATCH');
  });
});

describe('a jump host', () => {
  it('has its key trusted when the error names it, checked against what the jump host presents', async () => {
    const jump = await server();
    const target = await server();
    // The host's key file logs in to both.
    fs.appendFileSync(path.join(jump.dir, 'authorized_keys'), fs.readFileSync(`${target.clientKey}.pub`));
    const e = engine();
    await addHost(e, target, { proxyJump: `${jump.user}@127.0.0.1:${jump.port}` });
    expect(await failure(e.call('hosts.probe', { ref: 'box' }))).toMatchObject({ code: 'HOST_KEY_UNKNOWN', details: { port: jump.port, presented: jump.hostKeyFingerprint } });
    // The target's fingerprint is not what the jump host presents.
    const wrong = await failure(e.call('hosts.trust', { ref: 'box', fingerprint: target.hostKeyFingerprint }));
    expect(wrong.code).toBe('FINGERPRINT_MISMATCH');
    expect(wrong.message).toContain(`jump host 127.0.0.1:${jump.port}`);
    expect(await e.call('hosts.trust', { ref: 'box', fingerprint: jump.hostKeyFingerprint })).toMatchObject({ alreadyTrusted: false, keyType: 'ssh-ed25519', jumpHost: `127.0.0.1:${jump.port}` });
    // Then the target's own key, through the jump host.
    expect(await failure(e.call('hosts.probe', { ref: 'box' }))).toMatchObject({ code: 'HOST_KEY_UNKNOWN', details: { port: target.port, presented: target.hostKeyFingerprint } });
    expect(await e.call('hosts.trust', { ref: 'box', fingerprint: target.hostKeyFingerprint })).toMatchObject({ alreadyTrusted: false });
    expect((await e.call('hosts.probe', { ref: 'box' })).cpus).toBeGreaterThan(0);
    expect(await e.call('hosts.trust', { ref: 'box', fingerprint: jump.hostKeyFingerprint })).toMatchObject({ alreadyTrusted: true, jumpHost: `127.0.0.1:${jump.port}` });
  });
});

describe('@cert-authority in known_hosts', () => {
  it('is said to be unsupported, and the plain key can be trusted instead', async () => {
    const sshd = await server({ hostCertificate: true });
    const knownHosts = path.join(tempDir(), 'known_hosts');
    fs.writeFileSync(knownHosts, `@cert-authority [127.0.0.1]:${sshd.port} ${sshd.hostCa}\n`);
    const e = engine([knownHosts]);
    await addHost(e, sshd);
    const said = await failure(e.call('hosts.probe', { ref: 'box' }));
    expect(said.code).toBe('HOST_CERT_UNSUPPORTED');
    expect(said.message).toMatch(/@cert-authority.*cannot check host certificates/);
    expect(said.details).toMatchObject({ presented: sshd.hostKeyFingerprint });
    expect(await e.call('hosts.trust', { ref: 'box', fingerprint: sshd.hostKeyFingerprint })).toMatchObject({ alreadyTrusted: false });
    expect((await e.call('hosts.probe', { ref: 'box' })).cpus).toBeGreaterThan(0);
  });
});
