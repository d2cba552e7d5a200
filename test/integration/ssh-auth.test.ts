// Authentication against a real sshd: an encrypted key (passphrase in memory only), the SSH agent,
// and a jump host chained through forwardOut.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import type { CallError } from '../../src/main/rpc/dispatch';
import { startSshd, type TestSshd } from '../support/sshd.mjs';
import { tempDir } from '../support/tunebench';
import { startAgent } from '../support/agent';

let sshd: TestSshd;
let dir: string;
const agentPids: number[] = [];

beforeAll(async () => {
  sshd = await startSshd();
  dir = tempDir('tb-auth-');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'correct horse', '-f', path.join(dir, 'locked')]);
  fs.appendFileSync(path.join(sshd.dir, 'authorized_keys'), fs.readFileSync(path.join(dir, 'locked.pub')));
});
afterAll(async () => {
  for (const pid of agentPids) process.kill(pid);
  await sshd?.stop();
});

function engineWith(options: { agentSocket?: string } = {}): Engine {
  return openEngine({ dataDir: tempDir(), knownHostsFiles: [], agentSocket: options.agentSocket ?? '' });
}

async function addTrusted(e: Engine, name: string, extra: Record<string, unknown>) {
  await e.call('hosts.add', { name, hostname: '127.0.0.1', port: sshd.port, user: sshd.user, python: '/usr/bin/python3', ...extra });
  await e.call('hosts.trust', { ref: name, fingerprint: sshd.hostKeyFingerprint });
}

/**
 * Every file under the data directory that holds `secret`. Read with the database still open: what was
 * just written sits in the -wal file until a checkpoint, so the database file alone says nothing.
 */
function filesHolding(dataDir: string, secret: string): string[] {
  const files = (fs.readdirSync(dataDir, { recursive: true, withFileTypes: true }) as fs.Dirent[]).filter((d) => d.isFile()).map((d) => path.join(d.parentPath, d.name));
  expect(files.map((f) => path.basename(f))).toEqual(expect.arrayContaining(['tunebench.db', 'tunebench.db-wal']));
  return files.filter((f) => fs.readFileSync(f).includes(Buffer.from(secret)));
}

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: CallError) => e.info?.code ?? String(e),
  );

describe('SSH authentication', () => {
  it("asks for an encrypted key's passphrase, refuses a wrong one, and keeps the right one in memory only", async () => {
    const e = engineWith();
    try {
      await e.call('hosts.add', { name: 'locked', hostname: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: path.join(dir, 'locked'), python: '/usr/bin/python3' });
      // Trusting needs no authentication: the host key is checked before any.
      expect(await codeOf(e.call('hosts.trust', { ref: 'locked', fingerprint: sshd.hostKeyFingerprint }))).toBe('OK');
      const probe = e.call('hosts.probe', { ref: 'locked' });
      await expect(probe).rejects.toMatchObject({ info: { code: 'PASSPHRASE_REQUIRED', details: { keyFile: path.join(dir, 'locked') } } });
      expect(await codeOf(e.call('hosts.unlockKey', { keyFile: path.join(dir, 'locked'), passphrase: 'wrong' }))).toBe('AUTH_FAILED');
      await e.call('hosts.unlockKey', { keyFile: path.join(dir, 'locked'), passphrase: 'correct horse' });
      expect((await e.call('hosts.probe', { ref: 'locked' })).cpus).toBeGreaterThan(0);
      // Something was written since the unlock (so a leak would be in the WAL now), and nothing holds it.
      await e.call('hosts.configure', { ref: 'locked', runRoot: '/tmp/after-unlock' });
      expect(filesHolding(e.dataDir, 'after-unlock').length).toBeGreaterThan(0); // the search sees fresh writes
      expect(filesHolding(e.dataDir, 'correct horse')).toEqual([]);
    } finally {
      e.close();
    }
  });

  it('uses the SSH agent first when there is one', async () => {
    const sock = path.join(dir, 'agent.sock');
    const agent = await startAgent(sock);
    agentPids.push(agent.pid!);
    execFileSync('ssh-add', ['-q', sshd.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: sock } });
    const dataDir = tempDir();
    const withAgent = openEngine({ dataDir, knownHostsFiles: [], agentSocket: sock });
    try {
      await addTrusted(withAgent, 'via-agent', { identityFile: path.join(dir, 'no-such-key') });
      // The key file named does not exist: only the agent can authenticate.
      expect((await withAgent.call('hosts.probe', { ref: 'via-agent' })).cpus).toBeGreaterThan(0);
    } finally {
      withAgent.close();
    }
    const noAgent = openEngine({ dataDir, knownHostsFiles: [], agentSocket: '' });
    try {
      const failed = noAgent.call('hosts.probe', { ref: 'via-agent' });
      await expect(failed).rejects.toMatchObject({ info: { code: 'AUTH_FAILED', message: expect.stringMatching(/cannot read the key file .*no-such-key \(ENOENT\)/) } });
    } finally {
      noAgent.close();
    }
  });

  it('reaches a host through a jump host, verifying both keys', async () => {
    const e = engineWith();
    try {
      await e.call('hosts.add', {
        name: 'behind',
        hostname: '127.0.0.1',
        port: sshd.port,
        user: sshd.user,
        identityFile: sshd.clientKey,
        proxyJump: `${sshd.user}@127.0.0.1:${sshd.port}`,
        python: '/usr/bin/python3',
      });
      expect(await codeOf(e.call('hosts.probe', { ref: 'behind' }))).toBe('HOST_KEY_UNKNOWN'); // the jump host's key, first
      await e.call('hosts.trust', { ref: 'behind', fingerprint: sshd.hostKeyFingerprint });
      const before = (fs.readFileSync(sshd.log, 'utf8').match(/Accepted publickey/g) ?? []).length;
      expect((await e.call('hosts.probe', { ref: 'behind' })).cpus).toBeGreaterThan(0);
      const after = (fs.readFileSync(sshd.log, 'utf8').match(/Accepted publickey/g) ?? []).length;
      expect(after - before).toBe(2); // the jump, then the target through it
    } finally {
      e.close();
    }
  });
});
