import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJumpSpec } from '../../src/main/ssh/connect';
import { describeKey, judgeHostKey, knownHostKeys } from '../../src/main/ssh/host-keys';
import { tempDir } from '../support/tunebench';

function fakeKey(type: string, seed: string): { blob: Buffer; b64: string } {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  const blob = Buffer.concat([len, t, crypto.createHash('sha256').update(seed).digest()]);
  return { blob, b64: blob.toString('base64') };
}

function hashed(name: string): string {
  const salt = crypto.randomBytes(20);
  return `|1|${salt.toString('base64')}|${crypto.createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts', () => {
  const a = fakeKey('ssh-ed25519', 'a');
  const b = fakeKey('ssh-ed25519', 'b');
  const dir = tempDir();
  const file = path.join(dir, 'known_hosts');
  fs.writeFileSync(
    file,
    [
      '# comment',
      `gpu1.lab,10.0.0.5 ssh-ed25519 ${a.b64}`,
      `${hashed('[gpu2.lab]:2222')} ssh-ed25519 ${b.b64}`,
      `*.cluster,!bad.cluster ssh-ed25519 ${a.b64}`,
      `@revoked old.lab ssh-ed25519 ${b.b64}`,
      'garbage line',
    ].join('\n'),
  );

  it('matches plain names, hashed entries with ports, and wildcards with negation', () => {
    expect(knownHostKeys(file, 'gpu1.lab', 22).map((k) => k.fingerprint)).toEqual([describeKey(a.blob).fingerprint]);
    expect(knownHostKeys(file, '10.0.0.5', 22)).toHaveLength(1);
    expect(knownHostKeys(file, 'gpu1.lab', 2222)).toHaveLength(0);
    expect(knownHostKeys(file, 'gpu2.lab', 2222).map((k) => k.fingerprint)).toEqual([describeKey(b.blob).fingerprint]);
    expect(knownHostKeys(file, 'node7.cluster', 22)).toHaveLength(1);
    expect(knownHostKeys(file, 'bad.cluster', 22)).toHaveLength(0);
    expect(knownHostKeys(path.join(dir, 'missing'), 'x', 22)).toEqual([]);
  });

  it('trusts a listed key, calls a different key of the same type a mismatch, and refuses a revoked key', () => {
    const known = [{ source: 'known_hosts' as const, keys: knownHostKeys(file, 'gpu1.lab', 22) }];
    expect(judgeHostKey(describeKey(a.blob), known)).toEqual({ verdict: 'trusted', source: 'known_hosts' });
    expect(judgeHostKey(describeKey(b.blob), known)).toMatchObject({ verdict: 'mismatch', expected: describeKey(a.blob).fingerprint });
    // Another key type for a host with a trusted key is a changed key, as OpenSSH warns.
    expect(judgeHostKey(describeKey(fakeKey('ecdsa-sha2-nistp256', 'c').blob), known)).toMatchObject({ verdict: 'mismatch', expectedType: describeKey(a.blob).keyType });
    expect(judgeHostKey(describeKey(b.blob), [{ source: 'known_hosts', keys: knownHostKeys(file, 'old.lab', 22) }])).toEqual({ verdict: 'revoked' });
  });

  it('prints fingerprints the way ssh-keygen -l does', () => {
    expect(describeKey(a.blob).fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(describeKey(a.blob).keyType).toBe('ssh-ed25519');
  });
});

describe('jump host specs', () => {
  it('reads user@host:port chains with defaults', () => {
    expect(parseJumpSpec('bastion, alice@gw.lab:2200,[::1]:22', { user: 'me' })).toEqual([
      { user: 'me', hostname: 'bastion', port: 22 },
      { user: 'alice', hostname: 'gw.lab', port: 2200 },
      { user: 'me', hostname: '::1', port: 22 },
    ]);
    expect(() => parseJumpSpec('a@b@c:x', { user: 'me' })).toThrow(/Cannot read the jump host/);
  });
});
