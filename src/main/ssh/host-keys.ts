// Host key checks: OpenSSH's known_hosts (hashed entries and wildcards too) and the app's own trust store.
// A key is trusted only when one of them lists it; a different key for a listed host is a mismatch.
import crypto from 'node:crypto';
import fs from 'node:fs';

export interface PresentedKey {
  keyType: string;
  fingerprint: string; // SHA256:base64 without padding, as ssh-keygen -l prints
  blob: Buffer;
}

export function describeKey(blob: Buffer): PresentedKey {
  const len = blob.length >= 4 ? blob.readUInt32BE(0) : 0;
  const keyType = blob.subarray(4, 4 + len).toString('latin1') || 'unknown';
  const fingerprint = 'SHA256:' + crypto.createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
  return { keyType, fingerprint, blob };
}

/** How OpenSSH names a host in known_hosts: plain for port 22, [host]:port otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

function patternMatches(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|');
    if (!salt || !hash) return false;
    const mac = crypto.createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const p of patterns.split(',')) {
    if (p.startsWith('!')) {
      if (globToRegExp(p.slice(1)).test(name)) return false;
    } else if (globToRegExp(p).test(name)) matched = true;
  }
  return matched;
}

export interface KnownKey {
  keyType: string;
  fingerprint: string;
  revoked: boolean;
}

/** Every line of a known_hosts file for host:port, with its marker ('' for a plain key). */
function knownHostLines(file: string, host: string, port: number): (KnownKey & { marker: string })[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const name = knownHostsName(host, port);
  const keys: (KnownKey & { marker: string })[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker = '';
    if (fields[0]!.startsWith('@')) marker = fields.shift()!;
    const [patterns, keyType, b64] = fields;
    if (!patterns || !keyType || !b64 || !patternMatches(patterns, name)) continue;
    const blob = Buffer.from(b64, 'base64');
    keys.push({ marker, keyType, fingerprint: describeKey(blob).fingerprint, revoked: marker === '@revoked' });
  }
  return keys;
}

/** The keys a known_hosts file lists for host:port. Unreadable files count as empty. */
export function knownHostKeys(file: string, host: string, port: number): KnownKey[] {
  // @cert-authority lines name a CA that signs host certificates, not the host's own key.
  return knownHostLines(file, host, port)
    .filter((k) => k.marker !== '@cert-authority')
    .map(({ keyType, fingerprint, revoked }) => ({ keyType, fingerprint, revoked }));
}

/** The certificate authorities (@cert-authority) a known_hosts file trusts for host:port. */
export function knownHostAuthorities(file: string, host: string, port: number): KnownKey[] {
  return knownHostLines(file, host, port)
    .filter((k) => k.marker === '@cert-authority')
    .map(({ keyType, fingerprint }) => ({ keyType, fingerprint, revoked: false }));
}

export type HostKeyVerdict =
  | { verdict: 'trusted'; source: 'known_hosts' | 'tunebench' }
  | { verdict: 'unknown' }
  | { verdict: 'mismatch'; expected: string; expectedType: string; source: 'known_hosts' | 'tunebench' }
  | { verdict: 'revoked' };

/**
 * Trusted when a store lists the presented key. Any other key for a host that has a trusted key is a
 * changed key, whatever its type, as OpenSSH warns: a server that "now has only an RSA key" is
 * exactly what an attacker without the ed25519 key would present.
 */
export function judgeHostKey(presented: PresentedKey, known: { source: 'known_hosts' | 'tunebench'; keys: KnownKey[] }[]): HostKeyVerdict {
  for (const { keys } of known) if (keys.some((k) => k.revoked && k.fingerprint === presented.fingerprint)) return { verdict: 'revoked' };
  for (const { source, keys } of known) {
    if (keys.some((k) => !k.revoked && k.fingerprint === presented.fingerprint)) return { verdict: 'trusted', source };
  }
  // The key of the same type is the one to name, if there is one; else the first trusted key.
  for (const sameType of [true, false]) {
    for (const { source, keys } of known) {
      const other = keys.find((k) => !k.revoked && (!sameType || k.keyType === presented.keyType));
      if (other) return { verdict: 'mismatch', expected: other.fingerprint, expectedType: other.keyType, source };
    }
  }
  return { verdict: 'unknown' };
}

/** ssh2's host key algorithms, in its default order of preference (ssh-dss only when asked for). */
const HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/** The signature algorithms that prove a key of this type (an ssh-rsa key signs with rsa-sha2-*). */
function algorithmsOf(keyType: string): string[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  if (keyType === 'ssh-dss') return ['ssh-dss'];
  return HOST_KEY_ALGORITHMS.includes(keyType) ? [keyType] : [];
}

/**
 * The host key algorithms to offer, those of the trusted key types first, as OpenSSH orders them
 * by known_hosts: a server with an ed25519 and an RSA key then proves the one we trust instead of
 * looking changed. The others stay on the list, so that a server that lost the trusted key is
 * refused as changed rather than failing the handshake without a word. Undefined: ssh2's defaults.
 */
export function hostKeyAlgorithms(trustedTypes: string[]): string[] | undefined {
  const first = [...new Set(trustedTypes.flatMap(algorithmsOf))];
  if (first.length === 0) return undefined;
  return [...first, ...HOST_KEY_ALGORITHMS.filter((a) => !first.includes(a))];
}
