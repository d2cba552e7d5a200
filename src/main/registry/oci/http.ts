// HTTP to one OCI registry: one keep-alive undici Agent per registry, TLS verified (system roots plus an optional CA
// file), plain http only where nothing crosses a network, and network failures turned into errors a user can act on.
import fs from 'node:fs';
import net from 'node:net';
import { Readable } from 'node:stream';
import type tls from 'node:tls';
import type { Agent, Dispatcher } from 'undici';
import { nodeRequire, undiciLib } from '../../lazy';
import { EngineError } from '../../errors';
import { APP_VERSION } from '../../version';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RegistryRequest {
  method: HttpMethod;
  /** Absolute URL, or a path starting with `/` resolved against the registry's base URL. */
  url: string;
  headers?: Record<string, string>;
  /** A Buffer, or a factory so a request refused for authentication can be sent again with a fresh stream. */
  body?: Buffer | (() => AsyncIterable<Buffer>) | null;
}

export interface RegistryResponse {
  status: number;
  url: URL;
  header(name: string): string | undefined;
  body: Dispatcher.ResponseData['body'];
}

/** True for names that cannot leave this machine: 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (net.isIPv4(h)) return h.split('.')[0] === '127';
  // ::1 in any spelling, and IPv4-mapped 127/8 (which URL parsing rewrites to ::ffff:7fxx:xxxx).
  if (net.isIPv6(h)) return h === '::1' || /^(0{0,4}:){7}0{0,3}1$/.test(h) || /^::ffff:(127\.|7f[0-9a-f]{2}:)/.test(h);
  return false;
}

/**
 * Parses a registry URL and applies the transport rule: https everywhere, plain http only to loopback or when the
 * user said --insecure-http, because credentials and model bytes would otherwise cross the network in the clear.
 */
export function parseRegistryUrl(baseUrl: string, allowHttp = false): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new EngineError('VALIDATION_FAILED', `"${baseUrl}" is not a registry URL; write it like https://registry.example.com:5000.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new EngineError('VALIDATION_FAILED', `"${baseUrl}" is not an http(s) URL; write it like https://registry.example.com:5000.`);
  if (url.username || url.password) throw new EngineError('VALIDATION_FAILED', `Put registry credentials in \`tunebench registry login\`, not in the URL "${url.host}".`);
  if (url.protocol === 'http:' && !allowHttp && !isLoopbackHost(url.hostname))
    throw new EngineError(
      'VALIDATION_FAILED',
      `Refusing plain http:// to ${url.host}: credentials and model bytes would cross the network unencrypted. Use https://, or pass --insecure-http if this registry really has no TLS.`,
    );
  return url;
}

const UNKNOWN_CA = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']);
const BAD_CERT = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_REVOKED', 'CERT_UNTRUSTED']);
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_ABORTED',
]);

function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
  }
  return codes;
}

/** Maps a transport failure to REGISTRY_TLS_UNTRUSTED / REGISTRY_UNREACHABLE; anything else is returned unchanged. */
export function networkError(err: unknown, host: string): unknown {
  if (err instanceof EngineError) return err;
  const codes = errorCodes(err);
  const text = err instanceof Error ? err.message : String(err);
  if (codes.some((c) => UNKNOWN_CA.has(c)))
    return new EngineError('REGISTRY_TLS_UNTRUSTED', `The registry ${host} presents a certificate signed by a CA this machine does not trust. Give its CA certificate with --ca-file (PEM).`, {
      cause: codes[0],
    });
  if (codes.some((c) => BAD_CERT.has(c)))
    return new EngineError('REGISTRY_TLS_UNTRUSTED', `The registry ${host} presents a certificate that does not fit (${text}). Check the address and the server's certificate.`, { cause: codes[0] });
  if (codes.some((c) => c === 'ERR_SSL_WRONG_VERSION_NUMBER' || c === 'EPROTO'))
    return new EngineError('REGISTRY_UNREACHABLE', `${host} does not speak TLS on this port. Check the port, or whether the registry is plain http://.`, {
      cause: codes[0],
    });
  if (codes.some((c) => NETWORK.has(c)))
    return new EngineError('REGISTRY_UNREACHABLE', `Cannot reach the registry ${host}: ${text}. Check the address, the network and that the registry is running.`, {
      cause: codes[0],
    });
  return err;
}

export interface RegistryHttpOptions {
  baseUrl: string;
  caFile?: string | null;
  allowHttp?: boolean;
  connectTimeoutMs?: number;
  /** How long to wait for response headers or between body bytes; a registry hashing a large blob can be slow. */
  idleTimeoutMs?: number;
}

/** One registry's connection pool. Requests to other origins (token realms, storage redirects) share it. */
export class RegistryHttp {
  readonly base: URL;
  readonly host: string;
  private readonly agent: Agent;
  private readonly allowHttp: boolean;

  constructor(opts: RegistryHttpOptions) {
    this.allowHttp = opts.allowHttp ?? false;
    this.base = parseRegistryUrl(opts.baseUrl, this.allowHttp);
    this.host = this.base.host;
    let ca: string[] | undefined;
    if (opts.caFile) {
      let pem: string;
      try {
        pem = fs.readFileSync(opts.caFile, 'utf8');
      } catch (e) {
        throw new EngineError('VALIDATION_FAILED', `Cannot read the CA file ${opts.caFile}: ${(e as Error).message}.`);
      }
      // Keep the system roots too: token realms and blob redirects often live on public hosts.
      ca = [...nodeRequire<typeof tls>('node:tls').rootCertificates, pem];
    }
    const idle = opts.idleTimeoutMs ?? 300_000;
    this.agent = new (undiciLib().Agent)({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      headersTimeout: idle,
      bodyTimeout: idle,
      connect: { timeout: opts.connectTimeoutMs ?? 15_000, rejectUnauthorized: true, ...(ca ? { ca } : {}) },
    });
  }

  resolve(url: string): URL {
    return new URL(url, this.base);
  }

  /** Whether a URL is the registry itself (credentials are only ever sent there or to its token realm). */
  sameOrigin(url: URL): boolean {
    return url.origin === this.base.origin;
  }

  /** Applies the https rule to a URL the registry handed us (a realm, a redirect). */
  checkUrl(url: URL): void {
    parseRegistryUrl(url.href, this.allowHttp);
  }

  async request(req: RegistryRequest): Promise<RegistryResponse> {
    const url = this.resolve(req.url);
    if (!this.sameOrigin(url)) this.checkUrl(url);
    const body = req.body == null ? null : Buffer.isBuffer(req.body) ? req.body : Readable.from(req.body(), { objectMode: false, highWaterMark: 1 });
    try {
      const res = await this.agent.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: req.method,
        headers: { 'user-agent': `tunebench/${APP_VERSION}`, ...req.headers },
        body,
      });
      return {
        status: res.statusCode,
        url,
        header: (name) => {
          const v = res.headers[name.toLowerCase()];
          return Array.isArray(v) ? v.join(', ') : v;
        },
        body: res.body,
      };
    } catch (err) {
      throw networkError(err, url.host);
    }
  }

  /** Drops every connection now; a download left unread would otherwise keep a graceful close waiting. */
  close(): Promise<void> {
    return this.agent.destroy();
  }
}

/** Reads at most `maxBytes` of a body; `null` when it is longer (the rest is dropped). */
export async function readBody(res: RegistryResponse, maxBytes: number): Promise<Buffer | null> {
  const parts: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body) {
      total += (chunk as Buffer).length;
      if (total > maxBytes) {
        res.body.destroy();
        return null;
      }
      parts.push(chunk as Buffer);
    }
  } catch (err) {
    throw networkError(err, res.url.host);
  }
  return Buffer.concat(parts, total);
}

/** Drains a body we do not need so the connection goes back to the pool. */
export async function discard(res: RegistryResponse): Promise<void> {
  try {
    await res.body.dump({ limit: 256 * 1024 });
  } catch {
    // a body we do not want can fail to drain; the pool drops that connection
  }
}

/** The registry's own words for an error: `CODE: message` from its JSON error body, or the start of its text. */
export async function errorText(res: RegistryResponse): Promise<string> {
  let raw: Buffer | null = null;
  try {
    raw = await readBody(res, 64 * 1024);
  } catch {
    // the error body is best effort
  }
  const text = raw?.toString('utf8').trim() ?? '';
  try {
    const doc = JSON.parse(text) as { errors?: { code?: string; message?: string; detail?: unknown }[] };
    if (Array.isArray(doc.errors) && doc.errors.length > 0) return doc.errors.map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
  } catch {
    // not JSON: quote the text
  }
  return text.slice(0, 300) || '(no message)';
}

/** Throws REGISTRY_REFUSED (or REGISTRY_NOT_FOUND / REGISTRY_AUTH_FAILED) for an unexpected status. */
export async function refusal(res: RegistryResponse, what: string): Promise<EngineError> {
  const said = await errorText(res);
  const where = res.url.host;
  if (res.status === 404) return new EngineError('REGISTRY_NOT_FOUND', `${what}: ${where} has no such thing (${said}).`, { status: 404 });
  if (res.status === 403) return new EngineError('REGISTRY_AUTH_FAILED', `${what}: ${where} refused access (${said}). The account may lack rights on this repository.`, { status: 403 });
  return new EngineError('REGISTRY_REFUSED', `${what}: ${where} answered HTTP ${res.status}: ${said}`, { status: res.status });
}
