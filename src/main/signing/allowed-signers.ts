// OpenSSH's allowed_signers file (ssh-keygen(1), ALLOWED SIGNERS): who may sign, with which key, for
// which namespaces and when. Read the way `ssh-keygen -Y verify` reads it, so a project's file means
// the same here as on the command line. Two deliberate differences: a broken line is an error naming
// its line (ssh-keygen skips it, which can hide a mistyped reviewer), and impossible dates such as
// 20200230 are refused (ssh-keygen rolls them over into March).
// User text is only ever compared and matched: no object is indexed by it.
import { EngineError } from '../errors';

export interface AllowedSigner {
  /** 1-based line in the file, for messages. */
  line: number;
  /** The principals pattern list as written: `*` and `?` wildcards, `!` negation. */
  principals: string[];
  /** A CA key: it vouches for certificates, never for a plain key signing by itself. */
  certAuthority: boolean;
  /** namespaces="…": the pattern list of namespaces the key may sign for; absent means any. */
  namespaces?: string[];
  validAfter?: Date;
  validBefore?: Date;
  keyType: string;
  /** SSH wire-format public key blob. */
  publicKey: Buffer;
  comment?: string;
}

// Plain key types ssh-keygen knows; any other word in this position starts the options field.
const KEY_TYPES: ReadonlySet<string> = new Set([
  'ssh-ed25519',
  'ssh-rsa',
  'ssh-dss',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
]);

class LineError extends Error {}

/** Splits off the first whitespace-delimited field; a field may be double-quoted as a whole. */
function takeField(rest: string, what: string): [string, string] {
  if (rest.startsWith('"')) {
    const close = rest.indexOf('"', 1);
    if (close < 0) throw new LineError(`the ${what} field has no closing quote`);
    return [rest.slice(1, close), rest.slice(close + 1).trimStart()];
  }
  const m = /^(\S+)\s*([\s\S]*)$/.exec(rest);
  if (!m) throw new LineError(`the ${what} field is missing`);
  return [m[1]!, m[2]!];
}

/** Splits off the options field: everything up to the first whitespace outside double quotes. */
function takeOptions(rest: string): [string, string] {
  let quoted = false;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && /\s/.test(c)) return [rest.slice(0, i), rest.slice(i).trimStart()];
  }
  if (quoted) throw new LineError('the options have an unclosed quote');
  return [rest, ''];
}

/** YYYYMMDD[Z] or YYYYMMDDHHMM[SS][Z]: local time, or UTC with Z, as ssh-keygen reads them. */
export function parseSignerTime(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?([Zz]?)$/.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  const utc = m[7] !== '';
  const date = utc ? new Date(Date.UTC(y, mo - 1, d, h, mi, s)) : new Date(y, mo - 1, d, h, mi, s);
  // Date rolls 2020-02-30 into March; a timestamp that does not survive the round trip is invalid.
  const back = utc
    ? [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()]
    : [date.getFullYear(), date.getMonth() + 1, date.getDate(), date.getHours(), date.getMinutes(), date.getSeconds()];
  return back.every((v, i) => v === [y, mo, d, h, mi, s][i]) ? date : undefined;
}

/** Option values must be double-quoted, as ssh-keygen requires; \" inside stands for a quote. */
function dequote(name: string, value: string | undefined): string {
  if (value === undefined || value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) throw new LineError(`the ${name} option needs a double-quoted value, e.g. ${name}="…"`);
  const inner = value.slice(1, -1);
  if (/(^|[^\\])"/.test(inner)) throw new LineError(`the ${name} value has a stray quote; write \\" for a quote inside it`);
  return inner.replace(/\\"/g, '"');
}

function splitOptions(field: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < field.length; i++) {
    const c = field[i]!;
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      out.push(field.slice(start, i));
      start = i + 1;
    }
  }
  out.push(field.slice(start));
  return out;
}

type Options = Pick<AllowedSigner, 'certAuthority' | 'namespaces' | 'validAfter' | 'validBefore'>;

function parseOptions(field: string): Options {
  const opts: Options = { certAuthority: false };
  for (const option of splitOptions(field)) {
    const eq = option.indexOf('=');
    const name = (eq < 0 ? option : option.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? undefined : option.slice(eq + 1);
    switch (name) {
      case 'cert-authority':
        if (value !== undefined) throw new LineError('cert-authority takes no value');
        opts.certAuthority = true;
        break;
      case 'namespaces':
        if (opts.namespaces) throw new LineError('more than one namespaces option');
        opts.namespaces = dequote(name, value).split(',');
        break;
      case 'valid-after':
      case 'valid-before': {
        const key = name === 'valid-after' ? 'validAfter' : 'validBefore';
        if (opts[key]) throw new LineError(`more than one ${name} option`);
        const text = dequote(name, value);
        const at = parseSignerTime(text);
        if (!at) throw new LineError(`${name}="${text}" is not a time; write YYYYMMDD or YYYYMMDDHHMM[SS], with Z for UTC`);
        opts[key] = at;
        break;
      }
      default:
        throw new LineError(`unknown option "${name}" (known: cert-authority, namespaces, valid-after, valid-before)`);
    }
  }
  if (opts.validAfter && opts.validBefore && opts.validBefore <= opts.validAfter) throw new LineError('valid-before is not after valid-after');
  return opts;
}

function parseKey(keyType: string, b64: string): Buffer {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) throw new LineError('the key is not valid base64');
  const blob = Buffer.from(b64, 'base64');
  const len = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  const inner = len >= 0 && 4 + len <= blob.length ? blob.subarray(4, 4 + len).toString('latin1') : '';
  if (inner !== keyType) throw new LineError(`the key says it is ${inner ? `"${inner}"` : 'nothing readable'}, not ${keyType}`);
  return blob;
}

function parseLine(text: string, line: number): AllowedSigner {
  const [principalsField, afterPrincipals] = takeField(text, 'principals');
  const principals = principalsField.split(',').filter((p) => p !== '');
  if (!principals.length) throw new LineError('the principals field is empty');
  let rest = afterPrincipals;
  let opts: Options = { certAuthority: false };
  const next = /^\S*/.exec(rest)![0];
  if (!next) throw new LineError('the key is missing');
  if (!KEY_TYPES.has(next)) {
    const [optionsField, afterOptions] = takeOptions(rest);
    opts = parseOptions(optionsField);
    rest = afterOptions;
  }
  const m = /^(\S+)(?:\s+(\S+))?(?:\s+([\s\S]*))?$/.exec(rest);
  if (!m) throw new LineError('the key is missing');
  const keyType = m[1]!;
  if (!KEY_TYPES.has(keyType)) throw new LineError(`"${keyType}" is not a key type (e.g. ssh-ed25519)`);
  if (!m[2]) throw new LineError(`the ${keyType} key has no base64 data`);
  const comment = m[3]?.trim();
  return { line, principals, ...opts, keyType, publicKey: parseKey(keyType, m[2]), ...(comment ? { comment } : {}) };
}

/** Parses an allowed_signers file; a line that cannot be read is an error naming it. */
export function parseAllowedSigners(text: string, source = 'allowed_signers'): AllowedSigner[] {
  const signers: AllowedSigner[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    try {
      signers.push(parseLine(line, i + 1));
    } catch (err) {
      if (!(err instanceof LineError)) throw err;
      throw new EngineError('VALIDATION_FAILED', `${source} line ${i + 1}: ${err.message}.`, { source, line: i + 1 });
    }
  });
  return signers;
}

/** OpenSSH's match_pattern: `*` any run of characters, `?` any one; case-sensitive. */
export function matchPattern(text: string, pattern: string): boolean {
  // Iterative with one backtrack point: linear-ish, no regular expression built from user text.
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      t++;
      p++;
    } else if (p < pattern.length && pattern[p] === '*') {
      starP = p++;
      starT = t;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** OpenSSH's match_pattern_list: a negated match refuses outright, otherwise any positive one allows. */
export function matchPatternList(text: string, patterns: readonly string[]): boolean {
  let positive = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      if (matchPattern(text, pattern.slice(1))) return false;
    } else if (matchPattern(text, pattern)) positive = true;
  }
  return positive;
}

/** Whether the line lets this plain key sign for the namespace at that time (bounds inclusive, to the second). */
function keyAllowed(signer: AllowedSigner, publicKeyBlob: Buffer, namespace: string, at: Date): boolean {
  if (signer.certAuthority || !signer.publicKey.equals(publicKeyBlob)) return false;
  if (signer.namespaces && !matchPatternList(namespace, signer.namespaces)) return false;
  const seconds = Math.floor(at.getTime() / 1000);
  if (signer.validAfter && seconds < Math.floor(signer.validAfter.getTime() / 1000)) return false;
  if (signer.validBefore && seconds > Math.floor(signer.validBefore.getTime() / 1000)) return false;
  return true;
}

/** The principal patterns (negations left out) of every line that allows this key for the namespace at that time. */
export function findPrincipals(signers: readonly AllowedSigner[], publicKeyBlob: Buffer, namespace: string, at: Date): string[] {
  const found: string[] = [];
  for (const signer of signers) {
    if (!keyAllowed(signer, publicKeyBlob, namespace, at)) continue;
    for (const p of signer.principals) if (!p.startsWith('!') && !found.includes(p)) found.push(p);
  }
  return found;
}

/** What `ssh-keygen -Y verify -I principal` checks once the signature itself is good. */
export function principalAllowed(signers: readonly AllowedSigner[], principal: string, publicKeyBlob: Buffer, namespace: string, at: Date): boolean {
  return signers.some((s) => keyAllowed(s, publicKeyBlob, namespace, at) && matchPatternList(principal, s.principals));
}
