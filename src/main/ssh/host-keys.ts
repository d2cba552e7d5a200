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
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
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

/** The keys a known_hosts file lists for host:port. Unreadable files count as empty. */
export function knownHostKeys(file: string, host: string, port: number): KnownKey[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const name = knownHostsName(host, port);
  const keys: KnownKey[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker = '';
    if (fields[0]!.startsWith('@')) marker = fields.shift()!;
    if (marker === '@cert-authority') continue; // host certificates are not supported yet
    const [patterns, keyType, b64] = fields;
    if (!patterns || !keyType || !b64 || !patternMatches(patterns, name)) continue;
    const blob = Buffer.from(b64, 'base64');
    keys.push({ keyType, fingerprint: describeKey(blob).fingerprint, revoked: marker === '@revoked' });
  }
  return keys;
}

export type HostKeyVerdict =
  | { verdict: 'trusted'; source: 'known_hosts' | 'tunebench' }
  | { verdict: 'unknown' }
  | { verdict: 'mismatch'; expected: string; source: 'known_hosts' | 'tunebench' }
  | { verdict: 'revoked' };

export function judgeHostKey(presented: PresentedKey, known: { source: 'known_hosts' | 'tunebench'; keys: KnownKey[] }[]): HostKeyVerdict {
  for (const { keys } of known) if (keys.some((k) => k.revoked && k.fingerprint === presented.fingerprint)) return { verdict: 'revoked' };
  for (const { source, keys } of known) {
    if (keys.some((k) => !k.revoked && k.fingerprint === presented.fingerprint)) return { verdict: 'trusted', source };
  }
  for (const { source, keys } of known) {
    const sameType = keys.find((k) => !k.revoked && k.keyType === presented.keyType);
    if (sameType) return { verdict: 'mismatch', expected: sameType.fingerprint, source };
  }
  return { verdict: 'unknown' };
}
