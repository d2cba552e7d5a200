// SSH signatures in OpenSSH's SSHSIG format (PROTOCOL.sshsig), so that anyone can check an approval
// with `ssh-keygen -Y verify` and no Tunebench. Signing goes through the SSH agent or a key file;
// verifying uses node:crypto only, so it needs neither ssh2 nor a running agent.
// Key material stays in KeyObjects in memory: never logged, copied into errors, or written.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { ParsedKey } from 'ssh2';
import { EngineError } from '../errors';
import { ssh2 } from '../ssh/ssh2';

const MAGIC = Buffer.from('SSHSIG');
const BEGIN = '-----BEGIN SSH SIGNATURE-----';
const END = '-----END SSH SIGNATURE-----';
const SIGN_HASH = 'sha512'; // what ssh-keygen uses by default; sha256 is accepted when verifying
const VERIFY_HASHES: ReadonlySet<string> = new Set(['sha512', 'sha256']);
const MIN_RSA_BITS = 1024; // OpenSSH refuses smaller RSA keys (SSH_RSA_MINIMUM_MODULUS_SIZE)

export interface SshSigner {
  /** SSH wire-format public key blob. */
  publicKey: Buffer;
  /** SHA256:base64 without padding, as `ssh-keygen -l` prints. */
  fingerprint: string;
  keyType: string;
  /** The agent's or the key file's comment, to tell keys apart in a list. */
  comment?: string;
  /** Signs data; returns an SSH signature blob: string sig-type || string sig-bytes. */
  sign(data: Buffer): Promise<Buffer>;
}

export interface ParsedSshsig {
  publicKey: Buffer;
  keyType: string;
  fingerprint: string;
  namespace: string;
  /** Empty today; kept because it is part of the signed data. */
  reserved: Buffer;
  hashAlgorithm: string;
  /** SSH signature blob: string sig-type || string sig-bytes. */
  signature: Buffer;
}

interface Curve {
  crv: string;
  size: number;
  hash: string;
}
const CURVES: ReadonlyMap<string, Curve> = new Map([
  ['nistp256', { crv: 'P-256', size: 32, hash: 'sha256' }],
  ['nistp384', { crv: 'P-384', size: 48, hash: 'sha384' }],
  ['nistp521', { crv: 'P-521', size: 66, hash: 'sha512' }],
]);
const SUPPORTED_TYPES: ReadonlySet<string> = new Set(['ssh-ed25519', 'ssh-rsa', ...[...CURVES.keys()].map((c) => `ecdsa-sha2-${c}`)]);
const RSA_SIG_HASHES: ReadonlyMap<string, string> = new Map([
  ['rsa-sha2-512', 'sha512'],
  ['rsa-sha2-256', 'sha256'],
]);

const malformed = (message: string) => new EngineError('VALIDATION_FAILED', message);
const rejected = (message: string, details?: unknown) => new EngineError('AUTH_FAILED', message, details);

/** A signature (or the key inside it) that does not check out: the statement or its signature was changed. */
function badSignature(message: string, details?: unknown): EngineError {
  return new EngineError('SIGNATURE_INVALID', message, details);
}

/** No key to sign with: an unreadable key file, or no reachable SSH agent. */
function keyNotFound(message: string, details?: unknown): EngineError {
  return new EngineError('KEY_NOT_FOUND', message, details);
}

// ---- SSH wire format ----

function sshString(value: Buffer | string): Buffer {
  const body = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** An mpint holding a non-negative magnitude: minimal, with a 0 byte when the top bit is set. */
function sshMpint(magnitude: Buffer): Buffer {
  let i = 0;
  while (i < magnitude.length && magnitude[i] === 0) i++;
  const bytes = magnitude.subarray(i);
  return sshString(bytes.length && bytes[0]! & 0x80 ? Buffer.concat([Buffer.alloc(1), bytes]) : bytes);
}

/** Reads SSH wire fields; every error names the structure and the field, since users see them. */
class Reader {
  private pos = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}
  bytes(n: number, field: string): Buffer {
    if (this.pos + n > this.buf.length) throw badSignature(`${this.what} is truncated: its ${field} runs past the end.`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  uint32(field: string): number {
    return this.bytes(4, field).readUInt32BE(0);
  }
  string(field: string): Buffer {
    return this.bytes(this.uint32(field), field);
  }
  text(field: string): string {
    const raw = this.string(field);
    const text = raw.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(raw)) throw badSignature(`${this.what} has a ${field} that is not valid UTF-8.`);
    return text;
  }
  /** The magnitude of a non-negative mpint, without leading zeros. */
  mpint(field: string): Buffer {
    const raw = this.string(field);
    if (raw.length && raw[0]! & 0x80) throw badSignature(`${this.what} has a negative ${field}.`);
    let i = 0;
    while (i < raw.length && raw[i] === 0) i++;
    return raw.subarray(i);
  }
  end(): void {
    const left = this.buf.length - this.pos;
    if (left) throw badSignature(`${this.what} has ${left} unexpected trailing byte${left === 1 ? '' : 's'}.`);
  }
}

export function fingerprintOf(publicKeyBlob: Buffer): string {
  return 'SHA256:' + crypto.createHash('sha256').update(publicKeyBlob).digest('base64').replace(/=+$/, '');
}

function keyTypeOf(publicKeyBlob: Buffer): string {
  return new Reader(publicKeyBlob, 'The public key').text('key type');
}

/** The key as an authorized_keys / allowed_signers line writes it: "ssh-ed25519 AAAA...". */
export function publicKeyLine(publicKeyBlob: Buffer): string {
  return `${keyTypeOf(publicKeyBlob)} ${publicKeyBlob.toString('base64')}`;
}

// ---- public keys and raw signatures ----

interface PublicKey {
  keyType: string;
  key: crypto.KeyObject;
  curve?: Curve;
}

/** Builds a KeyObject from an SSH public key blob (through JWK), refusing anything left over. */
function readPublicKey(blob: Buffer): PublicKey {
  const r = new Reader(blob, 'The public key');
  const keyType = r.text('key type');
  if (!SUPPORTED_TYPES.has(keyType)) throw badSignature(`Keys of type ${keyType} are not supported for signatures; use ed25519, ECDSA (nistp256/384/521) or RSA.`);
  const b64 = (b: Buffer) => b.toString('base64url');
  let jwk: crypto.JsonWebKey;
  let curve: Curve | undefined;
  if (keyType === 'ssh-ed25519') {
    const pk = r.string('ed25519 key');
    if (pk.length !== 32) throw badSignature(`The ed25519 public key is ${pk.length} bytes long, not 32.`);
    jwk = { kty: 'OKP', crv: 'Ed25519', x: b64(pk) };
  } else if (keyType === 'ssh-rsa') {
    const e = r.mpint('RSA exponent');
    const n = r.mpint('RSA modulus');
    jwk = { kty: 'RSA', n: b64(n), e: b64(e) };
  } else {
    const curveName = r.text('curve name');
    curve = CURVES.get(curveName);
    if (!curve || keyType !== `ecdsa-sha2-${curveName}`) throw badSignature(`The ${keyType} public key names the curve "${curveName}".`);
    const q = r.string('EC point');
    if (q.length !== 1 + 2 * curve.size || q[0] !== 4) throw badSignature(`The ${keyType} public key's point is not an uncompressed ${curveName} point.`);
    jwk = { kty: 'EC', crv: curve.crv, x: b64(q.subarray(1, 1 + curve.size)), y: b64(q.subarray(1 + curve.size)) };
  }
  r.end();
  let key: crypto.KeyObject;
  try {
    key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  } catch (err) {
    throw badSignature(`The ${keyType} public key is not a valid key: ${(err as Error).message}.`);
  }
  if (keyType === 'ssh-rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS)
    throw badSignature(`The RSA key has ${key.asymmetricKeyDetails?.modulusLength} bits; OpenSSH requires at least ${MIN_RSA_BITS}.`);
  return curve ? { keyType, key, curve } : { keyType, key };
}

function leftPad(bytes: Buffer, size: number): Buffer {
  return bytes.length >= size ? bytes : Buffer.concat([Buffer.alloc(size - bytes.length), bytes]);
}

/** Checks an SSH signature blob over data; false for a wrong signature, throws for a malformed one. */
function verifyBlob(pub: PublicKey, data: Buffer, sigBlob: Buffer): boolean {
  const r = new Reader(sigBlob, 'The signature blob');
  const sigType = r.text('signature type');
  const sig = r.string('signature bytes');
  r.end();
  if (pub.keyType === 'ssh-rsa') {
    const hash = RSA_SIG_HASHES.get(sigType);
    // As ssh-keygen: SHA-1 ("ssh-rsa") signatures are refused in SSHSIG.
    if (!hash) throw badSignature(`The RSA signature uses "${sigType}"; only rsa-sha2-512 and rsa-sha2-256 are accepted.`);
    const modulusBytes = Math.ceil((pub.key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
    if (sig.length > modulusBytes) return false;
    return crypto.verify(hash, data, pub.key, leftPad(sig, modulusBytes));
  }
  if (sigType !== pub.keyType) throw badSignature(`The signature is of type "${sigType}" but the key is ${pub.keyType}.`);
  if (pub.curve) {
    const inner = new Reader(sig, 'The ECDSA signature');
    const rr = inner.mpint('r');
    const ss = inner.mpint('s');
    inner.end();
    const size = pub.curve.size;
    if (rr.length > size || ss.length > size) return false;
    return crypto.verify(pub.curve.hash, data, { key: pub.key, dsaEncoding: 'ieee-p1363' }, Buffer.concat([leftPad(rr, size), leftPad(ss, size)]));
  }
  if (sig.length !== 64) return false;
  return crypto.verify(null, data, pub.key, sig);
}

/** Signs with a private KeyObject, in the signature format OpenSSH writes for that key type. */
function signBlob(keyType: string, key: crypto.KeyObject, data: Buffer): Buffer {
  if (keyType === 'ssh-ed25519') return Buffer.concat([sshString(keyType), sshString(crypto.sign(null, data, key))]);
  if (keyType === 'ssh-rsa') return Buffer.concat([sshString('rsa-sha2-512'), sshString(crypto.sign('sha512', data, key))]);
  const curve = CURVES.get(keyType.replace(/^ecdsa-sha2-/, ''))!;
  const rs = crypto.sign(curve.hash, data, { key, dsaEncoding: 'ieee-p1363' });
  const inner = Buffer.concat([sshMpint(rs.subarray(0, curve.size)), sshMpint(rs.subarray(curve.size))]);
  return Buffer.concat([sshString(keyType), sshString(inner)]);
}

// ---- SSHSIG ----

/** The bytes the key signs: "SSHSIG" || namespace || reserved || hash_algorithm || H(message). */
function signedData(namespace: string, reserved: Buffer, hashAlgorithm: string, message: Buffer): Buffer {
  const digest = crypto.createHash(hashAlgorithm).update(message).digest();
  return Buffer.concat([MAGIC, sshString(namespace), sshString(reserved), sshString(hashAlgorithm), sshString(digest)]);
}

function armor(blob: Buffer): string {
  const b64 = blob.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 70) lines.push(b64.slice(i, i + 70));
  return `${BEGIN}\n${lines.join('\n')}\n${END}\n`;
}

function dearmor(armored: string): Buffer {
  const lines = armored
    .replace(/\r\n/g, '\n')
    .replace(/^\n+|\n+$/g, '')
    .split('\n');
  if (lines[0] !== BEGIN) throw badSignature(`This is not an SSH signature: it does not start with "${BEGIN}".`);
  const end = lines.indexOf(END);
  if (end < 0) throw badSignature(`The SSH signature is truncated: its "${END}" line is missing.`);
  if (end !== lines.length - 1) throw badSignature(`The SSH signature has text after its "${END}" line.`);
  const b64 = lines.slice(1, end).join('');
  // Buffer.from(…, 'base64') skips bad characters silently; a signature must be exact.
  if (!b64 || b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw badSignature("The SSH signature's body is not valid base64 (changed or cut short?).");
  return Buffer.from(b64, 'base64');
}

export function parseSshsig(armored: string): ParsedSshsig {
  const r = new Reader(dearmor(armored), 'The SSH signature');
  if (!r.bytes(MAGIC.length, 'magic').equals(MAGIC)) throw badSignature('This is not an SSH signature: it does not begin with the SSHSIG magic.');
  const version = r.uint32('version');
  if (version !== 1) throw badSignature(`The SSH signature has version ${version}; only version 1 is supported.`);
  const publicKey = r.string('public key');
  const namespace = r.text('namespace');
  const reserved = r.string('reserved field');
  const hashAlgorithm = r.text('hash algorithm');
  const signature = r.string('signature');
  r.end();
  if (!namespace) throw badSignature('The SSH signature has an empty namespace.');
  return { publicKey, keyType: keyTypeOf(publicKey), fingerprint: fingerprintOf(publicKey), namespace, reserved, hashAlgorithm, signature };
}

export function verifySshsig(message: Buffer, armored: string, namespace: string): { fingerprint: string; keyType: string; publicKey: Buffer } {
  const sig = parseSshsig(armored);
  const { fingerprint, keyType, publicKey } = sig;
  // The namespace keeps a signature made for one purpose (say, git commits) from passing as another.
  if (sig.namespace !== namespace) throw badSignature(`The signature was made for the namespace "${sig.namespace}", not "${namespace}".`, { fingerprint });
  if (!VERIFY_HASHES.has(sig.hashAlgorithm)) throw badSignature(`The signature uses the hash "${sig.hashAlgorithm}"; only sha512 and sha256 are accepted.`);
  const pub = readPublicKey(publicKey);
  let good: boolean;
  try {
    good = verifyBlob(pub, signedData(namespace, sig.reserved, sig.hashAlgorithm, message), sig.signature);
  } catch (err) {
    if (err instanceof EngineError) throw err;
    good = false; // OpenSSL refusing odd signature bytes is a bad signature, not a crash
  }
  if (!good) throw badSignature(`The signature by ${fingerprint} (${keyType}) does not match: the signed data or the signature was changed.`, { fingerprint });
  return { fingerprint, keyType, publicKey };
}

export async function signSshsig(message: Buffer, namespace: string, signer: SshSigner): Promise<string> {
  if (!namespace) throw malformed('An SSH signature needs a namespace (e.g. tunebench-approval).');
  if (!SUPPORTED_TYPES.has(signer.keyType)) throw malformed(`Keys of type ${signer.keyType} cannot sign approvals; use ed25519, ECDSA or RSA.`);
  const none = Buffer.alloc(0);
  const signature = await signer.sign(signedData(namespace, none, SIGN_HASH, message));
  const version = Buffer.alloc(4);
  version.writeUInt32BE(1);
  const blob = Buffer.concat([MAGIC, version, sshString(signer.publicKey), sshString(namespace), sshString(none), sshString(SIGN_HASH), sshString(signature)]);
  const armored = armor(blob);
  // Checked before anyone relies on it: an agent may ignore the rsa-sha2-512 request (ssh2 drops the
  // type it answers with), or hold a different private key than the public one it lists.
  try {
    verifySshsig(message, armored, namespace);
  } catch (err) {
    throw badSignature(`The signature made with ${signer.fingerprint} does not verify, so nothing was signed: ${(err as Error).message}`, { fingerprint: signer.fingerprint });
  }
  return armored;
}

// ---- signers ----

/** A key file's signer. The passphrase is used once here and not kept; the caller holds it. */
export function signerFromKeyFile(file: string, passphrase?: string): SshSigner {
  let text: Buffer;
  try {
    text = fs.readFileSync(file);
  } catch (err) {
    throw keyNotFound(`Cannot read the key file ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, { keyFile: file });
  }
  let parsed: ParsedKey | Error | undefined;
  try {
    parsed = ssh2().utils.parseKey(text, passphrase || undefined); // '' is no passphrase, as ssh-keygen -N ''
  } finally {
    text.fill(0); // parseKey has decoded it; the raw file bytes are not needed any more
  }
  if (!parsed || parsed instanceof Error) {
    const why = (parsed?.message ?? 'no key found').replace(/[.?!\s]+$/, '');
    if (/no passphrase given/i.test(why))
      throw new EngineError('PASSPHRASE_REQUIRED', `The key ${file} is encrypted. Enter its passphrase (kept in memory only), or add the key to your SSH agent.`, { keyFile: file });
    if (passphrase && /passphrase|integrity|decrypt|authenticate/i.test(why)) throw rejected(`That passphrase does not open ${file}. Try again.`, { keyFile: file });
    throw malformed(`Cannot use the key file ${file}: ${why}.`);
  }
  if (!parsed.isPrivateKey()) throw malformed(`${file} holds a public key only; name the private key file (without .pub).`);
  const keyType = parsed.type;
  if (!SUPPORTED_TYPES.has(keyType)) throw malformed(`${file} is a ${keyType} key; approvals are signed with ed25519, ECDSA or RSA keys.`);
  const key = crypto.createPrivateKey(parsed.getPrivatePEM());
  const publicKey = parsed.getPublicSSH();
  return {
    publicKey,
    fingerprint: fingerprintOf(publicKey),
    keyType,
    comment: parsed.comment,
    sign: async (data) => signBlob(keyType, key, data),
  };
}

/** ssh2's agent client has no timeout of its own: a wedged agent would hang an approval forever. */
function withTimeout<T>(work: (done: (err: Error | null | undefined, value?: T) => void) => void, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
    timer.unref();
    work((err, value) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value as T);
    });
  });
}

/** The keys a running ssh-agent offers that can sign approvals (ed25519, ECDSA, RSA). */
export async function agentSigners(socket: string | undefined = process.env.SSH_AUTH_SOCK): Promise<SshSigner[]> {
  if (!socket) throw keyNotFound('No SSH agent is running here (SSH_AUTH_SOCK is not set). Start one and `ssh-add` your key, or sign with a key file.');
  const agent = new (ssh2().OpenSSHAgent)(socket);
  let keys: ParsedKey[];
  try {
    keys = await withTimeout<ParsedKey[]>((done) => agent.getIdentities((err, found) => done(err, (found ?? []) as ParsedKey[])), 10_000, 'The SSH agent');
  } catch (err) {
    throw keyNotFound(`Cannot reach the SSH agent at ${socket}: ${(err as Error).message}. Check that it is running, or sign with a key file.`, { socket });
  }
  return keys
    .filter((k) => SUPPORTED_TYPES.has(k.type))
    .map((k) => {
      const publicKey = k.getPublicSSH();
      const fingerprint = fingerprintOf(publicKey);
      // ssh2 returns the bare signature bytes; the type is what was asked for (checked in signSshsig).
      const sigType = k.type === 'ssh-rsa' ? 'rsa-sha2-512' : k.type;
      return {
        publicKey,
        fingerprint,
        keyType: k.type,
        comment: k.comment,
        sign: async (data: Buffer) => {
          try {
            // A generous limit: the agent may be asking the user to confirm (ssh-add -c).
            const sig = await withTimeout<Buffer>((done) => agent.sign(k, data, { hash: 'sha512' }, (err, s) => done(err, s)), 120_000, 'The SSH agent');
            return Buffer.concat([sshString(sigType), sshString(sig)]);
          } catch (err) {
            throw rejected(`The SSH agent did not sign with ${fingerprint}: ${(err as Error).message}.`, { socket, fingerprint });
          }
        },
      };
    });
}
