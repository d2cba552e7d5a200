// SSHSIG signing and verification with real OpenSSH key files, tampering of every kind, and the
// allowed_signers file as ssh-keygen reads it. Interop with the ssh-keygen binary itself is in
// test/integration/sshsig-openssh.test.ts.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSigners, fingerprintOf, parseSshsig, publicKeyLine, signerFromKeyFile, signSshsig, verifySshsig, type SshSigner } from '../../src/main/signing/sshsig';
import { findPrincipals, matchPattern, parseAllowedSigners, principalAllowed } from '../../src/main/signing/allowed-signers';
import { tempDir } from '../support/tunebench';

const NS = 'tunebench-approval';
const MESSAGE = Buffer.from('{"decision":"approve","subject":"sha256:abc"}\n');
const KEYS = [
  { name: 'ed25519', args: ['-t', 'ed25519'], keyType: 'ssh-ed25519' },
  { name: 'ecdsa-p256', args: ['-t', 'ecdsa', '-b', '256'], keyType: 'ecdsa-sha2-nistp256' },
  { name: 'ecdsa-p384', args: ['-t', 'ecdsa', '-b', '384'], keyType: 'ecdsa-sha2-nistp384' },
  { name: 'ecdsa-p521', args: ['-t', 'ecdsa', '-b', '521'], keyType: 'ecdsa-sha2-nistp521' },
  { name: 'rsa', args: ['-t', 'rsa', '-b', '2048'], keyType: 'ssh-rsa' },
];
let dir: string;
const keyFile = (name: string) => path.join(dir, name);

function keygen(args: string[]): string {
  try {
    return execFileSync('ssh-keygen', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('ssh-keygen is not installed; these tests need it: apt-get install openssh-client', { cause: err });
    throw err;
  }
}

beforeAll(() => {
  dir = tempDir('tb-sshsig-');
  for (const k of KEYS) keygen(['-q', ...k.args, '-N', '', '-C', `${k.name}@test`, '-f', keyFile(k.name)]);
  keygen(['-q', '-t', 'ed25519', '-N', 'correct horse', '-f', keyFile('locked')]);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true })); // throwaway keys, but keys all the same

/** Re-armors a decoded signature blob after an edit, so only the edit is under test. */
function rearmor(blob: Buffer): string {
  const b64 = blob
    .toString('base64')
    .match(/.{1,70}/g)!
    .join('\n');
  return `-----BEGIN SSH SIGNATURE-----\n${b64}\n-----END SSH SIGNATURE-----\n`;
}
const blobOf = (armored: string) => Buffer.from(armored.split('\n').slice(1, -2).join(''), 'base64');

describe('SSHSIG round trips with key files', () => {
  for (const k of KEYS) {
    it(`signs and verifies with ${k.name}`, async () => {
      const signer = signerFromKeyFile(keyFile(k.name));
      expect(signer.keyType).toBe(k.keyType);
      expect(signer.comment).toBe(`${k.name}@test`);
      const pubLine = fs
        .readFileSync(keyFile(k.name) + '.pub', 'utf8')
        .split(' ')
        .slice(0, 2)
        .join(' ');
      expect(publicKeyLine(signer.publicKey)).toBe(pubLine);
      expect(signer.fingerprint).toBe(keygen(['-l', '-E', 'sha256', '-f', keyFile(k.name) + '.pub']).split(' ')[1]);
      expect(fingerprintOf(signer.publicKey)).toBe(signer.fingerprint);

      const armored = await signSshsig(MESSAGE, NS, signer);
      const lines = armored.split('\n');
      expect(lines[0]).toBe('-----BEGIN SSH SIGNATURE-----');
      expect(lines.slice(-2)).toEqual(['-----END SSH SIGNATURE-----', '']);
      expect(lines.slice(1, -3).every((l) => l.length === 70)).toBe(true);
      expect(lines.at(-3)!.length).toBeLessThanOrEqual(70);

      const parsed = parseSshsig(armored);
      expect(parsed).toMatchObject({ keyType: k.keyType, namespace: NS, hashAlgorithm: 'sha512', fingerprint: signer.fingerprint });
      expect(parsed.publicKey.equals(signer.publicKey)).toBe(true);
      expect(parsed.reserved.length).toBe(0);
      const sigType = parsed.signature.subarray(4, 4 + parsed.signature.readUInt32BE(0)).toString();
      expect(sigType).toBe(k.keyType === 'ssh-rsa' ? 'rsa-sha2-512' : k.keyType);

      const verified = verifySshsig(MESSAGE, armored, NS);
      expect(verified.fingerprint).toBe(signer.fingerprint);
      expect(verified.keyType).toBe(k.keyType);
      expect(() => verifySshsig(Buffer.from('something else'), armored, NS)).toThrow(/does not match/);
    });
  }

  it('needs the passphrase of an encrypted key, refuses a wrong one, and never echoes it', async () => {
    expect(() => signerFromKeyFile(keyFile('locked'))).toThrow(expect.objectContaining({ code: 'PASSPHRASE_REQUIRED', message: expect.stringMatching(/is encrypted\. Enter its passphrase/) }));
    expect(() => signerFromKeyFile(keyFile('locked'), '')).toThrow(expect.objectContaining({ code: 'PASSPHRASE_REQUIRED' }));
    let wrong: unknown;
    try {
      signerFromKeyFile(keyFile('locked'), 'wrong horse');
    } catch (err) {
      wrong = err;
    }
    expect(wrong).toMatchObject({ code: 'AUTH_FAILED', message: expect.stringMatching(/That passphrase does not open .*locked/) });
    expect(JSON.stringify(wrong) + String(wrong)).not.toContain('wrong horse');
    const signer = signerFromKeyFile(keyFile('locked'), 'correct horse');
    expect(verifySshsig(MESSAGE, await signSshsig(MESSAGE, NS, signer), NS).fingerprint).toBe(signer.fingerprint);
  });

  it('says clearly when a key file is missing, public only, or not a key', () => {
    expect(() => signerFromKeyFile(keyFile('nope'))).toThrow(expect.objectContaining({ code: 'KEY_NOT_FOUND', message: expect.stringMatching(/Cannot read the key file .*nope \(ENOENT\)/) }));
    expect(() => signerFromKeyFile(keyFile('ed25519') + '.pub')).toThrow(/holds a public key only/);
    fs.writeFileSync(keyFile('junk'), 'not a key\n');
    expect(() => signerFromKeyFile(keyFile('junk'))).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/Cannot use the key file .*junk/) }));
  });

  it('refuses to hand out a signature that does not verify (wrong algorithm, wrong key)', async () => {
    const rsa = signerFromKeyFile(keyFile('rsa'));
    // The same key in the old PEM format, which node:crypto reads (and signerFromKeyFile too).
    fs.copyFileSync(keyFile('rsa'), keyFile('rsa-pem'));
    keygen(['-q', '-p', '-m', 'PEM', '-P', '', '-N', '', '-f', keyFile('rsa-pem')]);
    expect(signerFromKeyFile(keyFile('rsa-pem')).fingerprint).toBe(rsa.fingerprint);
    const key = crypto.createPrivateKey(fs.readFileSync(keyFile('rsa-pem')));
    const str = (b: Buffer | string) => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(Buffer.byteLength(b));
      return Buffer.concat([len, Buffer.from(b)]);
    };
    // An agent that ignores the SHA-512 flag answers with a SHA-1 "ssh-rsa" signature.
    const sha1Signer: SshSigner = { ...rsa, sign: async (data) => Buffer.concat([str('ssh-rsa'), str(crypto.sign('sha1', data, key))]) };
    await expect(signSshsig(MESSAGE, NS, sha1Signer)).rejects.toThrow(/nothing was signed.*only rsa-sha2-512 and rsa-sha2-256/);
    // A signer whose private key is not the public key it names.
    const other = signerFromKeyFile(keyFile('ed25519'));
    const mixed: SshSigner = { ...signerFromKeyFile(keyFile('locked'), 'correct horse'), sign: other.sign };
    await expect(signSshsig(MESSAGE, NS, mixed)).rejects.toThrow(/nothing was signed.*does not match/);
    await expect(signSshsig(MESSAGE, '', other)).rejects.toThrow(/needs a namespace/);
  });

  it('says clearly when no SSH agent is reachable', async () => {
    await expect(agentSigners('')).rejects.toMatchObject({ code: 'KEY_NOT_FOUND', message: expect.stringMatching(/No SSH agent is running/) });
    await expect(agentSigners(path.join(dir, 'no-agent.sock'))).rejects.toThrow(/Cannot reach the SSH agent at .*no-agent\.sock/);
  });
});

describe('SSHSIG tampering is rejected with a message that says what is wrong', () => {
  let armored: string;
  beforeAll(async () => {
    armored = await signSshsig(MESSAGE, NS, signerFromKeyFile(keyFile('ed25519')));
  });

  it('one byte of the message', () => {
    for (const i of [0, 10, MESSAGE.length - 1]) {
      const changed = Buffer.from(MESSAGE);
      changed[i]! ^= 1;
      expect(() => verifySshsig(changed, armored, NS)).toThrow(
        expect.objectContaining({ code: 'SIGNATURE_INVALID', message: expect.stringMatching(/does not match: the signed data or the signature was changed/) }),
      );
    }
  });

  it('one byte of the signature, for every key type', async () => {
    for (const k of KEYS) {
      const good = await signSshsig(MESSAGE, NS, signerFromKeyFile(keyFile(k.name)));
      const blob = blobOf(good);
      blob[blob.length - 5]! ^= 0x10;
      expect(() => verifySshsig(MESSAGE, rearmor(blob), NS)).toThrow(/does not match/);
    }
  });

  it('another namespace', () => {
    expect(() => verifySshsig(MESSAGE, armored, 'git')).toThrow(/made for the namespace "tunebench-approval", not "git"/);
    // Re-labelling the namespace inside the signature breaks the signature itself.
    const blob = blobOf(armored);
    const at = blob.indexOf(Buffer.from(NS));
    const relabelled = Buffer.from(blob);
    relabelled.write('tunebench-approvaX', at);
    expect(() => verifySshsig(MESSAGE, rearmor(relabelled), 'tunebench-approvaX')).toThrow(/does not match/);
  });

  it('a truncated or damaged armor', () => {
    const lines = armored.split('\n');
    expect(() => verifySshsig(MESSAGE, lines.slice(0, -2).join('\n'), NS)).toThrow(/truncated: its "-----END SSH SIGNATURE-----" line is missing/);
    expect(() => verifySshsig(MESSAGE, [...lines.slice(0, 2), ...lines.slice(3)].join('\n'), NS)).toThrow(/not valid base64|truncated/);
    expect(() => verifySshsig(MESSAGE, rearmor(blobOf(armored).subarray(0, 60)), NS)).toThrow(/The SSH signature is truncated: its .* runs past the end/);
    expect(() => verifySshsig(MESSAGE, armored.replace('U1NI', 'U1N*'), NS)).toThrow(/not valid base64/);
    expect(() => verifySshsig(MESSAGE, armored.slice(1), NS)).toThrow(/does not start with/);
    expect(() => verifySshsig(MESSAGE, '', NS)).toThrow(/not an SSH signature/);
  });

  it('trailing garbage, outside the armor or inside the blob', () => {
    expect(() => verifySshsig(MESSAGE, armored + 'extra\n', NS)).toThrow(/text after its "-----END SSH SIGNATURE-----" line/);
    expect(() => verifySshsig(MESSAGE, rearmor(Buffer.concat([blobOf(armored), Buffer.from([0, 0, 0])])), NS)).toThrow(/3 unexpected trailing bytes/);
    // CRLF line ends and a missing final newline are only formatting.
    expect(verifySshsig(MESSAGE, armored.replace(/\n/g, '\r\n').trimEnd(), NS).keyType).toBe('ssh-ed25519');
  });

  it('wrong magic, version, hash algorithm, or an unsupported key', () => {
    const blob = blobOf(armored);
    const magic = Buffer.from(blob);
    magic.write('SSHSIX', 0);
    expect(() => parseSshsig(rearmor(magic))).toThrow(/does not begin with the SSHSIG magic/);
    const version = Buffer.from(blob);
    version.writeUInt32BE(2, 6);
    expect(() => parseSshsig(rearmor(version))).toThrow(/version 2; only version 1/);
    const hash = Buffer.from(blob);
    hash.write('sha384', hash.indexOf(Buffer.from('sha512')));
    expect(() => verifySshsig(MESSAGE, rearmor(hash), NS)).toThrow(/hash "sha384"; only sha512 and sha256/);
    const dss = Buffer.from(blob);
    dss.write('ssh-dss0123', dss.indexOf(Buffer.from('ssh-ed25519')));
    expect(() => verifySshsig(MESSAGE, rearmor(dss), NS)).toThrow(/type ssh-dss0123 are not supported/);
  });
});

describe('allowed_signers', () => {
  let ed: SshSigner;
  let rsa: SshSigner;
  const at = new Date('2024-06-01T12:00:00Z');
  beforeAll(() => {
    ed = signerFromKeyFile(keyFile('ed25519'));
    rsa = signerFromKeyFile(keyFile('rsa'));
  });
  const line = (s: SshSigner) => publicKeyLine(s.publicKey);

  it('reads comments, blank lines, options, quoted principals and key comments', () => {
    const signers = parseAllowedSigners(
      [
        '# reviewers',
        '',
        `  alice@example.com ${line(ed)} alice's laptop`,
        `"bob@example.com,carol@example.com" NAMESPACES="tunebench-*",valid-after="20240101",valid-before="20250101000000Z" ${line(rsa)}`,
        '*@example.com cert-authority ' + line(rsa),
        '',
      ].join('\n'),
    );
    expect(signers).toHaveLength(3);
    expect(signers[0]).toMatchObject({ line: 3, principals: ['alice@example.com'], certAuthority: false, keyType: 'ssh-ed25519', comment: "alice's laptop" });
    expect(signers[0]!.publicKey.equals(ed.publicKey)).toBe(true);
    expect(signers[1]).toMatchObject({ line: 4, principals: ['bob@example.com', 'carol@example.com'], namespaces: ['tunebench-*'], validBefore: new Date('2025-01-01T00:00:00Z') });
    expect(signers[1]!.validAfter!.getTime()).toBe(new Date(2024, 0, 1).getTime()); // no Z: local time, as ssh-keygen
    expect(signers[2]).toMatchObject({ line: 5, certAuthority: true });
  });

  it('matches principals with * and ? wildcards and ! negation, case-sensitively', () => {
    const s = parseAllowedSigners(`*@example.com,!mallory@example.com,r?viewer@lab ${line(ed)}`);
    const ok = (p: string) => principalAllowed(s, p, ed.publicKey, NS, at);
    expect([ok('alice@example.com'), ok('reviewer@lab'), ok('rEviewer@lab')]).toEqual([true, true, true]);
    expect([ok('mallory@example.com'), ok('alice@EXAMPLE.com'), ok('alice@example.org'), ok('rviewer@lab')]).toEqual([false, false, false, false]);
    expect(principalAllowed(s, 'alice@example.com', rsa.publicKey, NS, at)).toBe(false);
    // A list with only negations allows nobody, as in OpenSSH.
    expect(principalAllowed(parseAllowedSigners(`!bob ${line(ed)}`), 'alice', ed.publicKey, NS, at)).toBe(false);
    expect(matchPattern('a'.repeat(5000), '*a*a*a*a*a*a*a*a*b')).toBe(false);
  });

  it('restricts a key to its namespaces', () => {
    const s = parseAllowedSigners(`alice namespaces="tunebench-*,!tunebench-test" ${line(ed)}`);
    expect(principalAllowed(s, 'alice', ed.publicKey, 'tunebench-approval', at)).toBe(true);
    expect(principalAllowed(s, 'alice', ed.publicKey, 'tunebench-test', at)).toBe(false);
    expect(principalAllowed(s, 'alice', ed.publicKey, 'git', at)).toBe(false);
    expect(findPrincipals(s, ed.publicKey, 'git', at)).toEqual([]);
  });

  it('honours valid-after and valid-before, both inclusive, to the second', () => {
    const s = parseAllowedSigners(`alice valid-after="20240101000000Z",valid-before="20241231235959Z" ${line(ed)}`);
    const ok = (iso: string) => principalAllowed(s, 'alice', ed.publicKey, NS, new Date(iso));
    expect([ok('2024-01-01T00:00:00Z'), ok('2024-12-31T23:59:59.999Z'), ok('2024-06-01T00:00:00Z')]).toEqual([true, true, true]);
    expect([ok('2023-12-31T23:59:59Z'), ok('2025-01-01T00:00:00Z')]).toEqual([false, false]);
  });

  it('recognises cert-authority lines but never lets them vouch for a plain key', () => {
    const s = parseAllowedSigners(`alice cert-authority ${line(ed)}`);
    expect(s[0]!.certAuthority).toBe(true);
    expect(principalAllowed(s, 'alice', ed.publicKey, NS, at)).toBe(false);
    expect(findPrincipals(s, ed.publicKey, NS, at)).toEqual([]);
  });

  it('finds the principals of every line that allows a key, without negations or repeats', () => {
    const s = parseAllowedSigners([`alice,!eve ${line(ed)}`, `bob ${line(rsa)}`, `alice,carol ${line(ed)}`, `dave valid-before="20200101Z" ${line(ed)}`].join('\n'));
    expect(findPrincipals(s, ed.publicKey, NS, at)).toEqual(['alice', 'carol']);
    expect(findPrincipals(s, rsa.publicKey, NS, at)).toEqual(['bob']);
  });

  it('treats names like __proto__ as plain text', () => {
    const s = parseAllowedSigners(`__proto__,constructor namespaces="__proto__" ${line(ed)}`);
    expect(principalAllowed(s, '__proto__', ed.publicKey, '__proto__', at)).toBe(true);
    expect(principalAllowed(s, 'toString', ed.publicKey, '__proto__', at)).toBe(false);
    expect(() => parseAllowedSigners(`alice __proto__="x" ${line(ed)}`)).toThrow(/unknown option "__proto__"/);
  });

  it('names the line of anything it cannot read', () => {
    const key = line(ed);
    const b64 = key.split(' ')[1]!;
    const cases: [string, RegExp][] = [
      [`alice foo ${key}`, /unknown option "foo"/],
      [`alice namespaces=tunebench-approval ${key}`, /namespaces option needs a double-quoted value/],
      [`alice namespaces="a",namespaces="b" ${key}`, /more than one namespaces option/],
      [`alice valid-after="2024010112" ${key}`, /valid-after="2024010112" is not a time/],
      [`alice valid-after="20240230" ${key}`, /valid-after="20240230" is not a time/],
      [`alice valid-after="20240101",valid-before="20240101" ${key}`, /valid-before is not after valid-after/],
      [`alice cert-authority="yes" ${key}`, /cert-authority takes no value/],
      [`alice ssh-rsa ${b64}`, /the key says it is "ssh-ed25519", not ssh-rsa/],
      [`alice ssh-ed25519 ${b64.slice(0, -3)}`, /not valid base64/],
      [`alice ssh-ed25519`, /has no base64 data/],
      [`alice`, /the key is missing/],
      [`"alice ${key}`, /no closing quote/],
      [`alice namespaces="a ${key}`, /unclosed quote/],
    ];
    for (const [bad, why] of cases) {
      const err = (() => {
        try {
          parseAllowedSigners(`# header\n${key.replace(/^/, 'ok ')}\n\n${bad}\n`, 'reviewers.allowed_signers');
        } catch (e) {
          return e as { code: string; message: string; details: unknown };
        }
        throw new Error(`accepted: ${bad}`);
      })();
      expect(err.code).toBe('VALIDATION_FAILED');
      expect(err.message).toMatch(/^reviewers\.allowed_signers line 4: /);
      expect(err.message).toMatch(why);
      expect(err.details).toEqual({ source: 'reviewers.allowed_signers', line: 4 });
    }
  });
});
