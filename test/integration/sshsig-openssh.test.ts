// Interop with OpenSSH's own binaries, both ways: what Tunebench signs, `ssh-keygen -Y verify`
// accepts (the command the design tells reviewers to run), and what `ssh-keygen -Y sign` makes,
// verifySshsig accepts. Also a real ssh-agent, and allowed_signers read the same by both.
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSigners, parseSshsig, publicKeyLine, signerFromKeyFile, signSshsig, verifySshsig } from '../../src/main/signing/sshsig';
import { findPrincipals, parseAllowedSigners, principalAllowed } from '../../src/main/signing/allowed-signers';
import { tempDir } from '../support/tunebench';
import { startAgent } from '../support/agent';

const NS = 'tunebench-approval';
const WHO = 'alice@example.com';
const KEYS = [
  { name: 'ed25519', args: ['-t', 'ed25519'], keyType: 'ssh-ed25519', deterministic: true },
  { name: 'ecdsa-p256', args: ['-t', 'ecdsa', '-b', '256'], keyType: 'ecdsa-sha2-nistp256', deterministic: false },
  { name: 'rsa', args: ['-t', 'rsa', '-b', '3072'], keyType: 'ssh-rsa', deterministic: true },
];
// No agent of the developer's: ssh-keygen and ssh-add must use only what the test made.
const ENV = { ...process.env, SSH_AUTH_SOCK: '' };
let dir: string;
let agent: ChildProcess | undefined;
const file = (name: string) => path.join(dir, name);

function run(cmd: string, args: string[], input?: Buffer, env: NodeJS.ProcessEnv = ENV): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { input, env, encoding: 'utf8' });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw new Error(`${cmd} is not installed; these tests need OpenSSH: apt-get install openssh-client`);
  if (r.error) throw r.error;
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** `ssh-keygen -Y verify` exactly as trust.md tells a reviewer to run it. */
function opensshVerify(message: Buffer, sigFile: string, allowed = file('allowed_signers'), extra: string[] = []) {
  return run('ssh-keygen', ['-Y', 'verify', ...extra, '-f', allowed, '-I', WHO, '-n', NS, '-s', sigFile], message);
}

beforeAll(() => {
  for (const tool of ['ssh-keygen', 'ssh-agent', 'ssh-add']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is not installed; these tests need OpenSSH: apt-get install openssh-client`);
  }
  dir = tempDir('tb-sshsig-openssh-');
  for (const k of KEYS) run('ssh-keygen', ['-q', ...k.args, '-N', '', '-C', k.name, '-f', file(k.name)]);
  const lines = KEYS.map((k) => `${WHO} namespaces="${NS}" ${fs.readFileSync(file(k.name) + '.pub', 'utf8').trim()}`);
  fs.writeFileSync(file('allowed_signers'), lines.join('\n') + '\n');
});
afterAll(() => {
  agent?.kill();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('SSHSIG interop with OpenSSH', () => {
  for (const k of KEYS) {
    it(`${k.name}: ssh-keygen -Y verify accepts our signature, and refuses it once one byte of the message changes`, async () => {
      const message = Buffer.from(`approval for ${k.name}: ${'x'.repeat(300)}\n`);
      fs.writeFileSync(file(`${k.name}.msg`), message);
      const ours = await signSshsig(message, NS, signerFromKeyFile(file(k.name)));
      fs.writeFileSync(file(`${k.name}.msg.sig`), ours);
      const good = opensshVerify(message, file(`${k.name}.msg.sig`));
      expect(good.out).toContain(`Good "${NS}" signature for ${WHO}`);
      expect(good.code).toBe(0);
      const changed = Buffer.from(message);
      changed[7]! ^= 1;
      const bad = opensshVerify(changed, file(`${k.name}.msg.sig`));
      expect(bad.code).not.toBe(0);
      // Another namespace is refused by ssh-keygen too.
      expect(run('ssh-keygen', ['-Y', 'verify', '-f', file('allowed_signers'), '-I', WHO, '-n', 'git', '-s', file(`${k.name}.msg.sig`)], message).code).not.toBe(0);

      // And the other way: ssh-keygen's signature passes verifySshsig.
      const made = run('ssh-keygen', ['-Y', 'sign', '-f', file(k.name), '-n', NS, file(`${k.name}.msg`)]);
      expect(made.code).toBe(0);
      const theirs = fs.readFileSync(file(`${k.name}.msg.sig`), 'utf8');
      const pub = fs
        .readFileSync(file(k.name) + '.pub', 'utf8')
        .split(' ')
        .slice(0, 2)
        .join(' ');
      const verified = verifySshsig(message, theirs, NS);
      expect(verified.keyType).toBe(k.keyType);
      expect(publicKeyLine(verified.publicKey)).toBe(pub);
      expect(parseSshsig(theirs).hashAlgorithm).toBe('sha512');
      expect(() => verifySshsig(changed, theirs, NS)).toThrow(/does not match/);
      // ed25519 and RSA PKCS#1 v1.5 signatures are deterministic: the whole armored text must be identical.
      if (k.deterministic) expect(ours).toBe(theirs);
    });
  }

  it('accepts ssh-keygen signatures made with -O hashalg=sha256', () => {
    const message = Buffer.from('sha256 please\n');
    fs.writeFileSync(file('sha256.msg'), message);
    expect(run('ssh-keygen', ['-Y', 'sign', '-O', 'hashalg=sha256', '-f', file('ed25519'), '-n', NS, file('sha256.msg')]).code).toBe(0);
    const sig = fs.readFileSync(file('sha256.msg.sig'), 'utf8');
    expect(parseSshsig(sig).hashAlgorithm).toBe('sha256');
    expect(verifySshsig(message, sig, NS).keyType).toBe('ssh-ed25519');
  });

  it('signs through a real ssh-agent (RSA with rsa-sha2-512), verified by ssh-keygen', async () => {
    const sock = file('agent.sock');
    agent = await startAgent(sock, ENV);
    const agentEnv = { ...process.env, SSH_AUTH_SOCK: sock };
    for (const k of KEYS) expect(run('ssh-add', ['-q', file(k.name)], undefined, agentEnv).code).toBe(0);

    const signers = await agentSigners(sock);
    expect(signers.map((s) => s.keyType).sort()).toEqual(KEYS.map((k) => k.keyType).sort());
    for (const k of KEYS) {
      const fromFile = signerFromKeyFile(file(k.name));
      const signer = signers.find((s) => s.fingerprint === fromFile.fingerprint)!;
      expect(signer.comment).toBe(k.name);
      const message = Buffer.from(`signed by the agent with ${k.name}\n`);
      const sig = await signSshsig(message, NS, signer);
      if (k.keyType === 'ssh-rsa') expect(parseSshsig(sig).signature.subarray(4, 16).toString()).toBe('rsa-sha2-512');
      fs.writeFileSync(file(`agent-${k.name}.sig`), sig);
      const good = opensshVerify(message, file(`agent-${k.name}.sig`));
      expect(good.out).toContain(`Good "${NS}" signature for ${WHO}`);
      expect(good.code).toBe(0);
      expect(opensshVerify(Buffer.from(`signed by the agent with ${k.name}!\n`), file(`agent-${k.name}.sig`)).code).not.toBe(0);
      // A deterministic key signs the same through the agent as from its file.
      if (k.deterministic) expect(sig).toBe(await signSshsig(message, NS, fromFile));
    }
  });
});

describe('allowed_signers read the same way as ssh-keygen reads it', () => {
  // Each file is judged by `ssh-keygen -Y verify -Overify-time=…` and by principalAllowed at the same time.
  const at = '20240601120000Z';
  const when = new Date('2024-06-01T12:00:00Z');
  const cases: [string, (key: string) => string][] = [
    ['plain', (key) => `${WHO} ${key}`],
    ['wildcard domain', (key) => `*@example.com ${key}`],
    ['? wildcard', (key) => `al?ce@example.com ${key}`],
    ['case differs', (key) => `Alice@example.com ${key}`],
    ['negated', (key) => `*@example.com,!alice@example.com ${key}`],
    ['quoted principals', (key) => `"bob@example.com,${WHO}" ${key}`],
    ['namespace pattern', (key) => `${WHO} namespaces="tunebench-*" ${key}`],
    ['namespace negated', (key) => `${WHO} namespaces="*,!tunebench-approval" ${key}`],
    ['other namespace', (key) => `${WHO} namespaces="git" ${key}`],
    ['not yet valid', (key) => `${WHO} valid-after="20240601120001Z" ${key}`],
    ['valid from now', (key) => `${WHO} valid-after="20240601120000Z" ${key}`],
    ['valid until now', (key) => `${WHO} valid-before="20240601120000Z" ${key}`],
    ['expired', (key) => `${WHO} valid-before="20240601115959Z" ${key}`],
    ['date only', (key) => `${WHO} valid-after="20240101Z",valid-before="20250101Z" ${key}`],
    ['cert-authority', (key) => `${WHO} cert-authority ${key}`],
    ['case-insensitive options', (key) => `${WHO} NAMESPACES="${NS}",Valid-After="20240101Z" ${key}`],
  ];

  it.each(cases)('%s', async (name, make) => {
    const key = fs.readFileSync(file('ed25519.pub'), 'utf8').trim();
    const allowed = file(`allowed-${name.replace(/\W+/g, '-')}`);
    fs.writeFileSync(allowed, `# ${name}\n${make(key)}\n`);
    const message = Buffer.from('judge me\n');
    fs.writeFileSync(file('judge.sig'), await signSshsig(message, NS, signerFromKeyFile(file('ed25519'))));
    const openssh = opensshVerify(message, file('judge.sig'), allowed, [`-Overify-time=${at}`]).code === 0;
    const signers = parseAllowedSigners(fs.readFileSync(allowed, 'utf8'));
    const blob = signerFromKeyFile(file('ed25519')).publicKey;
    expect(principalAllowed(signers, WHO, blob, NS, when)).toBe(openssh);
    // find-principals agrees on whether any line allows the key. ssh-keygen 9.2's find-principals
    // ignores namespaces= (only verify checks it); ours takes the namespace, so compare without one.
    const found = run('ssh-keygen', ['-Y', 'find-principals', `-Overify-time=${at}`, '-f', allowed, '-s', file('judge.sig')]);
    const anyNamespace = signers.map((s) => ({ ...s, namespaces: undefined }));
    expect(findPrincipals(anyNamespace, blob, NS, when).length > 0).toBe(found.code === 0);
    if (openssh) expect(findPrincipals(signers, blob, NS, when).length).toBeGreaterThan(0);
  });
});
