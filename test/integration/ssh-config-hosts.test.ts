// Hosts from an SSH config, evaluated by the OpenSSH client itself (`ssh -G`) against a real sshd
// (review, issue 13, finding 10): Include, Match, tokens, every IdentityFile in order,
// UserKnownHostsFile, ProxyCommand (run here, its stdio the connection), ProxyJump through a config
// alias, ConnectTimeout; and the parser as the fallback where ssh is not installed.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import type { CallError } from '../../src/main/rpc/dispatch';
import { sshClient } from '../../src/main/ssh/ssh-config';
import { startSshd, type TestSshd } from '../support/sshd.mjs';
import { tempDir } from '../support/tunebench';

let sshd: TestSshd;
let dir: string;
let config: string;
let silent: net.Server;
const held: net.Socket[] = [];

// Relays its stdio to host:port, and notes the arguments it was given (the tokens, substituted).
const RELAY = `
import os, socket, sys, threading
host, port, user, log = sys.argv[1:5]
with open(log, "a") as f:
    f.write(f"{host} {port} {user}\\n")
s = socket.create_connection((host, int(port)))
def up():
    while True:
        d = os.read(0, 65536)
        if not d:
            break
        s.sendall(d)
    s.shutdown(socket.SHUT_WR)
threading.Thread(target=up, daemon=True).start()
while True:
    d = s.recv(65536)
    if not d:
        break
    os.write(1, d)
`;

beforeAll(async () => {
  sshd = await startSshd();
  dir = tempDir('tb-sshconfig-');
  // A server that accepts and never speaks SSH.
  silent = net.createServer((sock) => held.push(sock));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const silentPort = (silent.address() as net.AddressInfo).port;
  // A valid key the server does not accept, listed before the one it does: every IdentityFile is tried, in order.
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'not_authorized')]);
  fs.mkdirSync(path.join(dir, 'keys'));
  fs.copyFileSync(sshd.clientKey, path.join(dir, 'keys', `${sshd.user}_${sshd.port}`));
  fs.chmodSync(path.join(dir, 'keys', `${sshd.user}_${sshd.port}`), 0o600);
  // The server's key is trusted only through the config's UserKnownHostsFile.
  const hostKey = fs.readFileSync(path.join(sshd.dir, 'host_ed25519.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  fs.writeFileSync(path.join(dir, 'known_hosts_127.0.0.1'), `[127.0.0.1]:${sshd.port} ${hostKey}\n`);
  fs.writeFileSync(path.join(dir, 'relay.py'), RELAY);
  fs.mkdirSync(path.join(dir, 'conf.d'));
  fs.writeFileSync(
    path.join(dir, 'conf.d', 'proxied.conf'),
    [
      'Host gpu-proxied',
      '  HostName 127.0.0.1',
      `  Port ${sshd.port}`,
      `  ProxyCommand /usr/bin/python3 ${dir}/relay.py %h %p %r ${dir}/relay.log`,
      '',
      'Host gpu-broken-proxy',
      '  HostName 127.0.0.1',
      `  Port ${sshd.port}`,
      "  ProxyCommand sh -c 'echo no route to the cluster >&2; exit 3'",
      '',
    ].join('\n'),
  );
  config = path.join(dir, 'config');
  fs.writeFileSync(
    config,
    [
      `Include ${dir}/conf.d/*.conf`,
      '',
      'Host gpu-direct',
      '  HostName 127.0.0.1',
      `  Port ${sshd.port}`,
      '',
      // Only a Match block gives this alias its address: the parser skips Match blocks.
      'Host gpu-matched',
      '',
      'Match originalhost gpu-matched',
      '  HostName 127.0.0.1',
      `  Port ${sshd.port}`,
      '',
      'Host via-jump',
      '  HostName 127.0.0.1',
      `  Port ${sshd.port}`,
      '  ProxyJump jumpbox',
      '',
      'Host jumpbox',
      '  HostName 127.0.0.1',
      `  Port ${sshd.port}`,
      '',
      'Host slow',
      '  HostName 127.0.0.1',
      `  Port ${silentPort}`,
      '  ConnectTimeout 1',
      '',
      'Host *',
      `  User ${sshd.user}`,
      `  IdentityFile ${dir}/not_authorized`,
      `  IdentityFile ${dir}/keys/%r_%p`,
      `  UserKnownHostsFile ${dir}/known_hosts_%h`,
      '  GlobalKnownHostsFile /dev/null',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  held.forEach((s) => s.destroy());
  silent?.close();
  await sshd?.stop();
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => ({ code: 'OK', message: '' }),
    (e: CallError) => ({ code: e.info?.code ?? String(e), message: e.info?.message ?? '' }),
  );

function engine(): Engine {
  return openEngine({ dataDir: tempDir(), knownHostsFiles: [], agentSocket: '' });
}

describe('hosts imported from an SSH config', () => {
  it('are read as `ssh -G` reads them, and connecting uses the config again', async () => {
    const e = engine();
    try {
      const r = await e.call('hosts.import', { configFile: config });
      expect(r.added.map((h) => h.name).sort()).toEqual(['gpu-broken-proxy', 'gpu-direct', 'gpu-matched', 'gpu-proxied', 'jumpbox', 'slow', 'via-jump']);
      expect(r.added.find((h) => h.name === 'gpu-matched')).toMatchObject({ hostname: '127.0.0.1', port: sshd.port, user: sshd.user });
      // No `host trust`: the config's UserKnownHostsFile lists the key. The first key file is refused, the second logs in.
      for (const name of ['gpu-direct', 'gpu-matched', 'gpu-proxied']) {
        expect((await e.call('hosts.probe', { ref: name })).cpus, name).toBeGreaterThan(0);
      }
      expect(fs.readFileSync(path.join(dir, 'relay.log'), 'utf8').trim().split('\n')).toContain(`127.0.0.1 ${sshd.port} ${sshd.user}`);
      // The jump host is reached as `ssh jumpbox` would reach it: two logins, the jump then the target.
      const logins = () => (fs.readFileSync(sshd.log, 'utf8').match(/Accepted publickey/g) ?? []).length;
      const before = logins();
      expect((await e.call('hosts.probe', { ref: 'via-jump' })).cpus).toBeGreaterThan(0);
      expect(logins() - before).toBe(2);
    } finally {
      e.close();
    }
  });

  it('say why a ProxyCommand failed, and give up on a silent server after ConnectTimeout', async () => {
    const e = engine();
    try {
      await e.call('hosts.import', { configFile: config });
      const broken = await failure(e.call('hosts.probe', { ref: 'gpu-broken-proxy' }));
      expect(broken.code).toBe('HOST_UNREACHABLE');
      expect(broken.message).toMatch(/ProxyCommand .*exited with 3: no route to the cluster/);
      const started = Date.now();
      const slow = await failure(e.call('hosts.probe', { ref: 'slow' }));
      expect(slow.code).toBe('HOST_UNREACHABLE');
      expect(slow.message).toMatch(/did not answer as an SSH server within 1 s/);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      e.close();
    }
  });

  it('fall back to the parser where the ssh command is not installed (Include still read)', async () => {
    const saved = sshClient.command;
    sshClient.command = path.join(dir, 'no-such-ssh');
    const e = engine();
    try {
      const r = (await e.call('hosts.import', { configFile: config })) as { added: { name: string }[]; notes?: { name: string; note: string }[] };
      expect(r.added.map((h) => h.name)).toContain('gpu-proxied');
      expect(r.notes).toContainEqual({ name: 'gpu-direct', note: expect.stringMatching(/ssh command is not installed/) });
      expect((await e.call('hosts.probe', { ref: 'gpu-proxied' })).cpus).toBeGreaterThan(0);
    } finally {
      e.close();
      sshClient.command = saved;
    }
  });
});
