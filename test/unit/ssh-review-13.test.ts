// The pure parts of the SSH fixes of review issue 13: host key verdicts and algorithm order (4),
// config tokens, Include and the fallback parser (10), the POSIX wrapper of remote commands (11).
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { posixShellCommand } from '../../src/main/hosts/host-access';
import { describeKey, hostKeyAlgorithms, judgeHostKey, knownHostAuthorities, knownHostKeys } from '../../src/main/ssh/host-keys';
import { expandTokens, parseSshConfig, readSshConfig } from '../../src/main/ssh/ssh-config';
import { tempDir } from '../support/tunebench';

function fakeKey(type: string, seed: string): { blob: Buffer; b64: string } {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  const blob = Buffer.concat([len, t, crypto.createHash('sha256').update(seed).digest()]);
  return { blob, b64: blob.toString('base64') };
}

describe('host key verdicts', () => {
  const ed = fakeKey('ssh-ed25519', 'ed');
  const rsa = fakeKey('ssh-rsa', 'rsa');
  const ca = fakeKey('ssh-ed25519', 'ca');
  const file = path.join(tempDir(), 'known_hosts');
  fs.writeFileSync(file, [`gpu1 ssh-ed25519 ${ed.b64}`, `@cert-authority *.lab ssh-ed25519 ${ca.b64}`].join('\n'));

  it('calls a key of another type a changed key when the host has a trusted one', () => {
    const known = [
      { source: 'known_hosts' as const, keys: knownHostKeys(file, 'gpu1', 22) },
      { source: 'tunebench' as const, keys: [] },
    ];
    expect(judgeHostKey(describeKey(rsa.blob), known)).toEqual({ verdict: 'mismatch', expected: describeKey(ed.blob).fingerprint, expectedType: 'ssh-ed25519', source: 'known_hosts' });
    expect(judgeHostKey(describeKey(rsa.blob), [{ source: 'tunebench', keys: [{ keyType: 'ssh-ed25519', fingerprint: describeKey(ed.blob).fingerprint, revoked: false }] }])).toMatchObject({
      verdict: 'mismatch',
      source: 'tunebench',
    });
    expect(judgeHostKey(describeKey(rsa.blob), [{ source: 'known_hosts', keys: knownHostKeys(file, 'gpu2', 22) }])).toEqual({ verdict: 'unknown' });
  });

  it("reads @cert-authority lines as authorities, not as the host's key", () => {
    expect(knownHostKeys(file, 'node1.lab', 22)).toEqual([]);
    expect(knownHostAuthorities(file, 'node1.lab', 22).map((k) => k.fingerprint)).toEqual([describeKey(ca.blob).fingerprint]);
    expect(knownHostAuthorities(file, 'gpu1', 22)).toEqual([]);
  });

  it('offers the trusted key types first, and the rest after', () => {
    expect(hostKeyAlgorithms([])).toBeUndefined();
    const forRsa = hostKeyAlgorithms(['ssh-rsa'])!;
    expect(forRsa.slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(forRsa).toContain('ssh-ed25519');
    expect(hostKeyAlgorithms(['ecdsa-sha2-nistp256', 'ssh-ed25519'])!.slice(0, 2)).toEqual(['ecdsa-sha2-nistp256', 'ssh-ed25519']);
  });
});

describe('SSH config', () => {
  it('substitutes OpenSSH tokens', () => {
    const t = { alias: 'gpu', hostname: '10.0.0.5', port: 2222, user: 'alice' };
    expect(expandTokens('nc %h %p # %r@%n 100%%', t)).toBe('nc 10.0.0.5 2222 # alice@gpu 100%');
    expect(expandTokens('~/.ssh/%u-%r', t)).toBe(`${os.homedir()}/.ssh/${os.userInfo().username}-alice`);
    expect(expandTokens('%d/x', t)).toBe(`${os.homedir()}/x`);
  });

  it('reads Include files (globs) and, without ssh, every IdentityFile in order, ProxyCommand, UserKnownHostsFile and ConnectTimeout', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'conf.d'));
    fs.writeFileSync(path.join(dir, 'conf.d', 'a.conf'), 'Host from-include\n  HostName 10.9.9.9\n');
    fs.writeFileSync(
      path.join(dir, 'config'),
      [
        `Include ${dir}/conf.d/*.conf`,
        'Host gpu',
        '  HostName 10.0.0.5',
        '  User alice',
        '  IdentityFile ~/.ssh/first_%h',
        '  ProxyCommand ssh -W %h:%p bastion',
        '  ConnectTimeout 5',
        '  UserKnownHostsFile ~/kh/%h',
        'Host *',
        '  IdentityFile ~/.ssh/second',
      ].join('\n'),
    );
    const hosts = parseSshConfig(readSshConfig(path.join(dir, 'config')));
    expect(hosts.map((h) => h.alias)).toEqual(['from-include', 'gpu']);
    const gpu = hosts.find((h) => h.alias === 'gpu')!;
    expect(gpu.identityFiles).toEqual([`${os.homedir()}/.ssh/first_10.0.0.5`, `${os.homedir()}/.ssh/second`]);
    expect(gpu).toMatchObject({ proxyCommand: 'ssh -W 10.0.0.5:22 bastion', connectTimeoutMs: 5000, knownHostsFiles: [`${os.homedir()}/kh/10.0.0.5`] });
  });
});

describe('remote commands under any login shell', () => {
  const commands = ['echo plain', "printf '%s\\n' 'it'\"'\"'s' 'a\\\\b' 'x!y'", 'cat <<EOF\nline\nEOF', 'x=$((1+2)); echo "$x" >&2'];
  const shells = ['/bin/sh', '/bin/bash', '/usr/bin/tcsh', '/usr/bin/fish'].filter((s) => fs.existsSync(s));

  it.each(commands)('gives the login shell only `exec /bin/sh -c ...`, which runs %j as sh does', (command) => {
    const wrapped = posixShellCommand(command);
    expect(wrapped.startsWith('exec /bin/sh -c ')).toBe(true);
    const want = spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
    for (const shell of shells) {
      const got = spawnSync(shell, ['-c', wrapped], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: os.homedir() } });
      expect({ shell, stdout: got.stdout, stderr: got.stderr, code: got.status }).toEqual({ shell, stdout: want.stdout, stderr: want.stderr, code: want.status });
    }
  });

  it('keeps a command without special characters readable', () => {
    expect(posixShellCommand("cd '.tunebench' && python3 probe.py")).toContain("cd '\\''.tunebench'\\'' && python3 probe.py");
    expect(posixShellCommand('echo a\nb')).toMatch(/base64 -d/);
  });
});
