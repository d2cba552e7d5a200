// Registry authentication: anonymous first, then what the registry's WWW-Authenticate asks for (Basic, or docker's
// bearer-token flow), with credentials from Tunebench's login or docker's config.json and credential helpers.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EngineError } from '../../errors';
import { type RegistryHttp, discard, errorText, readBody } from './http';

export interface Credentials {
  username: string;
  password: string;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** docker's marker for "the secret is an OAuth2 refresh token" (docker login with an identity token, credential helpers). */
export const IDENTITY_TOKEN_USER = '<token>';

/** Parses `Bearer realm="…",service="…",scope="a:b:pull,push", Basic realm="…"` into challenges; commas may sit in quotes. */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  const re = /\s*(?:,\s*)*([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*)))?/y;
  let current: Challenge | undefined;
  re.lastIndex = 0;
  while (re.lastIndex < header.length) {
    const start = re.lastIndex;
    const m = re.exec(header);
    if (!m || re.lastIndex === start) break;
    const [, token, quoted, bare] = m;
    if (quoted === undefined && bare === undefined) {
      current = { scheme: token!.toLowerCase(), params: {} };
      challenges.push(current);
    } else if (current) {
      current.params[token!.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : bare!;
    }
  }
  return challenges;
}

interface CachedToken {
  value: string;
  expiresAt: number;
}

export interface RegistryAuthOptions {
  http: RegistryHttp;
  /** The name the user gave this registry, for the `tunebench registry login NAME` hint. */
  displayName: string;
  credentials?: () => Promise<Credentials | null>;
}

/** Remembers what one registry asked for and answers it; tokens are cached per scope until shortly before they expire. */
export class RegistryAuth {
  private scheme: 'none' | 'basic' | 'bearer' = 'none';
  private bearer: Record<string, string> | undefined; // the last bearer challenge: realm and service
  private credentials: Credentials | null | undefined;
  private readonly tokens = new Map<string, CachedToken>();

  constructor(private readonly opts: RegistryAuthOptions) {}

  private get host(): string {
    return this.opts.http.host;
  }

  private loginHint(): string {
    return `run \`tunebench registry login ${this.opts.displayName}\``;
  }

  private async creds(): Promise<Credentials | null> {
    if (this.credentials === undefined) this.credentials = (await this.opts.credentials?.()) ?? null;
    return this.credentials;
  }

  /**
   * The Authorization header for a request needing `scope`, from what the registry asked for before. A missing or
   * expiring token is fetched first, so a streamed chunk is not sent only to be refused.
   */
  async authorization(scope: string): Promise<string | undefined> {
    if (this.scheme === 'basic' && this.credentials) return basic(this.credentials);
    if (this.scheme !== 'bearer' || !this.bearer) return undefined;
    // A pull,push token also covers pulls: prefer the exact scope, then the wider one.
    const wider = scope.replace(/:pull$/, ':pull,push');
    for (const key of [scope, wider]) {
      const t = this.tokens.get(key);
      if (t && t.expiresAt > Date.now()) return `Bearer ${t.value}`;
    }
    await this.fetchToken(this.bearer, scope, await this.creds());
    return `Bearer ${this.tokens.get(scope)!.value}`;
  }

  /**
   * Answers a 401: learns the challenge and gets what it asks for, so the caller can send again. `sent` is the
   * Authorization the refused request carried. Throws REGISTRY_AUTH_FAILED when nothing more can be tried.
   */
  async answer(wwwAuthenticate: string | undefined, scope: string, sent: string | undefined): Promise<void> {
    const challenges = parseWwwAuthenticate(wwwAuthenticate ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const creds = await this.creds();
    if (bearer?.params.realm) {
      if (sent?.startsWith('Bearer ')) {
        for (const [key, t] of this.tokens) if (`Bearer ${t.value}` === sent) this.tokens.delete(key);
        // An expired or revoked token earns one fresh one (the caller caps retries); a token without the rights
        // means the account (or the anonymous user) may not do this.
        if (bearer.params.error !== 'invalid_token') throw this.denied(scope, creds !== null);
      }
      this.scheme = 'bearer';
      this.bearer = bearer.params;
      await this.fetchToken(bearer.params, scope, creds);
      return;
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      if (!creds) throw new EngineError('REGISTRY_AUTH_FAILED', `${this.host} asks for a user name and password; ${this.loginHint()}.`);
      if (sent?.startsWith('Basic ')) throw this.wrongPassword();
      this.scheme = 'basic';
      return;
    }
    throw new EngineError('REGISTRY_AUTH_FAILED', `${this.host} refused the request and asks for an authentication Tunebench does not speak (${wwwAuthenticate ?? 'no WWW-Authenticate header'}).`);
  }

  private wrongPassword(): EngineError {
    return new EngineError('REGISTRY_AUTH_FAILED', `Wrong user name or password for ${this.host}; ${this.loginHint()}.`);
  }

  private denied(scope: string, hadCredentials: boolean): EngineError {
    const repo = scope.split(':')[1] ?? '';
    return hadCredentials
      ? new EngineError(
          'REGISTRY_AUTH_FAILED',
          `${this.host} accepted the login but gives it no ${scope.split(':')[2]} rights on ${repo}; ask its administrator, or ${this.loginHint()} with another account.`,
        )
      : new EngineError('REGISTRY_AUTH_FAILED', `${this.host} needs a login for ${repo}; ${this.loginHint()}.`);
  }

  private async fetchToken(params: Record<string, string>, scope: string, creds: Credentials | null): Promise<void> {
    const realm = new URL(params.realm!);
    this.opts.http.checkUrl(realm);
    const query = new URLSearchParams();
    if (params.service) query.set('service', params.service);
    query.set('scope', scope);
    let res;
    if (creds?.username === IDENTITY_TOKEN_USER) {
      // An identity token is an OAuth2 refresh token: docker trades it with a POST, not with Basic.
      query.set('grant_type', 'refresh_token');
      query.set('refresh_token', creds.password);
      query.set('client_id', 'tunebench');
      res = await this.opts.http.request({
        method: 'POST',
        url: realm.href,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(query.toString()),
      });
    } else {
      if (creds) query.set('account', creds.username);
      for (const [k, v] of query) realm.searchParams.set(k, v);
      res = await this.opts.http.request({ method: 'GET', url: realm.href, headers: creds ? { authorization: basic(creds) } : {} });
    }
    if (res.status === 401 || res.status === 403) {
      await discard(res);
      throw creds ? this.wrongPassword() : this.denied(scope, false);
    }
    if (res.status !== 200)
      throw new EngineError('REGISTRY_REFUSED', `The token service of ${this.host} (${realm.host}) answered HTTP ${res.status}: ${await errorText(res)}`, {
        status: res.status,
      });
    const raw = await readBody(res, 1024 * 1024);
    let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      doc = JSON.parse(raw?.toString('utf8') ?? '') as typeof doc;
    } catch {
      throw new EngineError('REGISTRY_REFUSED', `The token service of ${this.host} (${realm.host}) answered with something that is not a token.`);
    }
    const value = typeof doc.token === 'string' ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : '';
    if (!value) throw new EngineError('REGISTRY_REFUSED', `The token service of ${this.host} (${realm.host}) answered without a token.`);
    // The spec's default lifetime is 60 s; renew a little early so a token never expires mid-request.
    const lifetime = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : 60;
    this.tokens.set(scope, { value, expiresAt: Date.now() + Math.max(lifetime * 500, lifetime * 1000 - 30_000) });
  }
}

function basic(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

export function defaultDockerConfigFile(): string {
  const dir = process.env.DOCKER_CONFIG || path.join(os.homedir(), '.docker');
  return path.join(dir, 'config.json');
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** The keys docker may have stored a registry under: `host:port`, with a scheme, or Docker Hub's legacy URL. */
function configKeys(registryHost: string): string[] {
  const host = registryHost.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  const keys = [host, `https://${host}`, `http://${host}`, `https://${host}/v1/`, `https://${host}/v2/`];
  if (['docker.io', 'registry-1.docker.io', 'index.docker.io'].includes(host)) keys.push('https://index.docker.io/v1/');
  return keys;
}

/**
 * Credentials docker would use for a registry: a credential helper (`credHelpers[host]`, then `credsStore`), then
 * `auths[host]` (`auth` = base64 user:pass, or an `identitytoken`). Null when there are none, the file is absent, or
 * a helper is not installed. Secrets are returned, never logged.
 */
export async function dockerCredentials(registryHost: string, configFile = defaultDockerConfigFile()): Promise<Credentials | null> {
  let config: DockerConfig;
  try {
    config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as DockerConfig;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new EngineError('VALIDATION_FAILED', `Cannot read docker's credentials in ${configFile}: ${(e as Error).message}. Fix or move the file.`);
  }
  const keys = configKeys(registryHost);
  const helper = keys.map((k) => config.credHelpers?.[k]).find(Boolean) ?? config.credsStore;
  if (helper) {
    // Helpers are asked for the host as docker would (`host:port`, then with https://, Docker Hub by its legacy URL).
    for (const key of [keys[0]!, keys[1]!, ...keys.slice(5)]) {
      const found = await runCredentialHelper(helper, key);
      if (found) return found;
    }
  }
  for (const key of keys) {
    const entry = config.auths?.[key];
    if (!entry) continue;
    if (entry.identitytoken) return { username: IDENTITY_TOKEN_USER, password: entry.identitytoken };
    if (entry.auth) {
      const text = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      if (colon > 0) return { username: text.slice(0, colon), password: text.slice(colon + 1) };
    }
    if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  }
  return null;
}

/** Runs `docker-credential-<name> get` with the server on stdin; null when the helper is missing or knows nothing. */
export function runCredentialHelper(name: string, server: string, timeoutMs = 15_000): Promise<Credentials | null> {
  // The name comes from a config file: keep it to a plain program name so it cannot point anywhere else.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) return Promise.resolve(null);
  return new Promise((resolve) => {
    const child = spawn(`docker-credential-${name}`, ['get'], { stdio: ['pipe', 'pipe', 'ignore'] });
    const out: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.on('error', () => {
      clearTimeout(timer);
      resolve(null); // not installed
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return resolve(null); // "credentials not found in native keychain"
      try {
        const doc = JSON.parse(Buffer.concat(out).toString('utf8')) as { Username?: unknown; Secret?: unknown };
        if (typeof doc.Username === 'string' && typeof doc.Secret === 'string' && doc.Secret) return resolve({ username: doc.Username, password: doc.Secret });
      } catch {
        // a helper that prints something else knows nothing useful
      }
      resolve(null);
    });
    child.stdin.on('error', () => {}); // a helper that exits before reading stdin
    child.stdin.end(server);
  });
}
