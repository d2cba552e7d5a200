// Browser-mode access control: a random token (query parameter once, then an HttpOnly cookie),
// a Host check against DNS rebinding, and an Origin check on WebSocket upgrades.
import crypto from 'node:crypto';
import type http from 'node:http';

/**
 * The cookie's name carries the port: cookies ignore ports, so one name would be sent to every service
 * on 127.0.0.1 and a second `serve` would overwrite the first one's token.
 */
export const tokenCookieName = (port: number): string => `tunebench_token_${port}`;

export function newToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

export function tokensEqual(given: string | undefined | null, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

export function cookieToken(req: http.IncomingMessage, port: number): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  const wanted = tokenCookieName(port);
  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === wanted) return rest.join('=');
  }
  return undefined;
}

export type AuthResult = { ok: true; via: 'query' | 'cookie' } | { ok: false; status: 401 | 403; reason: string };

/** The hosts we answer to: a page on any other name (a rebinding attack's) is refused. */
export function hostAllowed(hostHeader: string | undefined, port: number): boolean {
  return hostHeader === `127.0.0.1:${port}` || hostHeader === `localhost:${port}`;
}

export function originAllowed(origin: string | undefined, port: number): boolean {
  // Browsers always send Origin on a WebSocket upgrade; non-browser clients (scripts, tests) may not.
  if (origin === undefined) return true;
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}

export function authenticate(req: http.IncomingMessage, url: URL, token: string, port: number): AuthResult {
  if (!hostAllowed(req.headers.host, port)) {
    return { ok: false, status: 403, reason: 'This server answers only to 127.0.0.1 and localhost.' };
  }
  if (tokensEqual(url.searchParams.get('token'), token)) return { ok: true, via: 'query' };
  if (tokensEqual(cookieToken(req, port), token)) return { ok: true, via: 'cookie' };
  return {
    ok: false,
    status: 401,
    reason: 'Open the address that `tunebench serve` printed: it carries the access token.',
  };
}

export function tokenCookie(token: string, port: number): string {
  return `${tokenCookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}
