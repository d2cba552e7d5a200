// The OCI client against Debian's real docker-registry 2.8: anonymous, basic and token auth, resumable chunked
// pushes through a link that drops and a registry that crashes, the referrers tag fallback, and TLS trust.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EngineError } from '../../src/main/errors';
import { dockerCredentials, parseWwwAuthenticate } from '../../src/main/registry/oci/auth';
import { MediaTypes, OciClient, descriptor, referrersTag, sha256Digest } from '../../src/main/registry/oci/client';
import { isLoopbackHost, parseRegistryUrl } from '../../src/main/registry/oci/http';
import { startCountingProxy, startRegistry, type CountingProxy, type TestRegistry } from '../support/registry.mjs';
import { tempDir } from '../support/tunebench';

const MiB = 1024 * 1024;
const registries: TestRegistry[] = [];
const clients: OciClient[] = [];
const proxies: CountingProxy[] = [];

async function registry(opts: Parameters<typeof startRegistry>[0] = {}): Promise<TestRegistry> {
  const r = await startRegistry(opts);
  registries.push(r);
  return r;
}
function client(opts: ConstructorParameters<typeof OciClient>[0]): OciClient {
  const c = new OciClient(opts);
  clients.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all(registries.map((r) => r.stop()));
});

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: unknown) => (e instanceof EngineError ? e.code : String(e)),
  );
const fromBuffer = (buf: Buffer) => async (offset: number, length: number) => buf.subarray(offset, offset + length);
const EMPTY = Buffer.from('{}');

/** Pushes a one-layer ModelPack-style manifest and returns its bytes and digest. */
async function pushModel(c: OciClient, tag: string, weights: Buffer, extra: Record<string, unknown> = {}) {
  const config = Buffer.from(JSON.stringify({ lineage: { run: 'r-1' } }));
  await c.uploadBlob(sha256Digest(config), config.length, fromBuffer(config));
  await c.uploadBlob(sha256Digest(weights), weights.length, fromBuffer(weights));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      artifactType: 'application/vnd.cncf.model.manifest.v1+json',
      config: descriptor(config, 'application/vnd.cncf.model.config.v1+json'),
      layers: [{ ...descriptor(weights, 'application/vnd.cncf.model.weight.v1.raw'), annotations: { 'org.cncf.model.filepath': 'model.safetensors' } }],
      ...extra,
    }),
  );
  const digest = await c.putManifest(tag, manifest, MediaTypes.ociManifest);
  return { manifest, digest };
}

/** An artifact manifest that refers to `subject` (an approval, a signature). */
async function pushReferrer(c: OciClient, subject: { digest: string; size: number }, artifactType: string, content: string) {
  await c.uploadBlob(sha256Digest(EMPTY), EMPTY.length, fromBuffer(EMPTY));
  const blob = Buffer.from(content);
  await c.uploadBlob(sha256Digest(blob), blob.length, fromBuffer(blob));
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      artifactType,
      config: descriptor(EMPTY, MediaTypes.ociEmpty),
      layers: [descriptor(blob, 'application/json')],
      subject: { mediaType: MediaTypes.ociManifest, ...subject },
      annotations: { 'org.opencontainers.image.created': '2026-11-29T00:00:00Z' },
    }),
  );
  const digest = await c.putManifest(sha256Digest(body), body, MediaTypes.ociManifest);
  return { ...descriptor(body, MediaTypes.ociManifest, { artifactType, annotations: { 'org.opencontainers.image.created': '2026-11-29T00:00:00Z' } }), digest };
}

describe('OCI client on docker-registry 2.8', () => {
  let anon: TestRegistry;
  beforeAll(async () => {
    anon = await registry();
  });

  it('pushes and pulls a blob and a ModelPack manifest with artifactType and a custom config media type', async () => {
    const c = client({ baseUrl: anon.url, repository: 'team/llama-chat' });
    const weights = crypto.randomBytes(300_000);
    const { manifest, digest } = await pushModel(c, 'v1', weights);
    expect(await c.blobSize(sha256Digest(weights))).toBe(weights.length);
    expect(await c.blobSize(sha256Digest(Buffer.from('absent')))).toBeNull();
    const got = await c.getManifest('v1');
    expect(got).toEqual({ digest, mediaType: MediaTypes.ociManifest, body: manifest });
    expect(JSON.parse(got!.body.toString()).artifactType).toBe('application/vnd.cncf.model.manifest.v1+json');
    expect(await c.getManifest('v404')).toBeNull();
    const parts: Buffer[] = [];
    for await (const part of await c.getBlob(sha256Digest(weights))) parts.push(part);
    expect(Buffer.concat(parts).equals(weights)).toBe(true);
    expect((await c.getBlobBuffer(sha256Digest(weights), 1 * MiB)).equals(weights)).toBe(true);
    await expect(codeOf(c.getBlobBuffer(sha256Digest(weights), 1000))).resolves.toBe('REGISTRY_REFUSED');
    await expect(codeOf(c.getBlobBuffer(sha256Digest(Buffer.from('absent')), 1000))).resolves.toBe('REGISTRY_NOT_FOUND');
    expect(await c.listTags()).toEqual(['v1']);
    expect(await client({ baseUrl: anon.url, repository: 'team/nothing-yet' }).listTags()).toEqual([]);
  });

  it('lists referrers through the sha256-<hex> fallback tag and tags each referrer so garbage collection keeps it', async () => {
    const c = client({ baseUrl: anon.url, repository: 'team/referred' });
    const model = await pushModel(c, 'v1', crypto.randomBytes(1000));
    const subject = { digest: model.digest, size: model.manifest.length };
    expect(await c.referrers(model.digest)).toEqual([]);
    const approval = await pushReferrer(c, subject, 'application/vnd.tunebench.approval.v1+json', '{"decision":"approve"}');
    const signature = await pushReferrer(c, subject, 'application/vnd.tunebench.signature.v1', 'SSHSIG…');
    await c.attachReferrer(model.digest, approval);
    await c.attachReferrer(model.digest, signature);
    await c.attachReferrer(model.digest, approval); // again: no duplicate
    const listed = await c.referrers(model.digest);
    expect(listed).toEqual([approval, signature]);
    const tags = await c.listTags();
    expect(tags).toContain(referrersTag(model.digest));
    expect(tags).toContain(`${referrersTag(model.digest)}.${approval.digest.slice(7, 19)}`);
    expect(tags).toContain(`${referrersTag(model.digest)}.${signature.digest.slice(7, 19)}`);
    await expect(codeOf(c.attachReferrer(model.digest, { ...approval, digest: sha256Digest(Buffer.from('never pushed')) }))).resolves.toBe('REGISTRY_NOT_FOUND');
  });

  it("resumes a push cut after ~20 MiB from the registry's offset, re-sending less than a chunk, and skips a blob it has", async () => {
    const proxy = await startCountingProxy(anon.port);
    proxies.push(proxy);
    const c = client({ baseUrl: proxy.url, repository: 'team/big' });
    const blob = crypto.randomBytes(40 * MiB);
    const digest = sha256Digest(blob);
    let saved: string | null = null;
    proxy.cutAfter(20 * MiB);
    const first = c.uploadBlob(digest, blob.length, fromBuffer(blob), { chunkBytes: 8 * MiB, onLocation: (l) => (saved = l) });
    expect(await codeOf(first)).toBe('REGISTRY_UNREACHABLE');
    expect(proxy.cuts).toBe(1);
    const sentBefore = proxy.totalBytes;
    const second = await c.uploadBlob(digest, blob.length, fromBuffer(blob), { chunkBytes: 8 * MiB, resumeLocation: saved });
    expect(second).toEqual({ skipped: false, resumedAt: 16 * MiB });
    const resent = proxy.digestBytes(digest) - blob.length;
    expect(proxy.uploadsFor(digest)).toHaveLength(1); // the same upload, continued
    expect(resent).toBeGreaterThan(0);
    expect(resent).toBeLessThan(8 * MiB + 64 * 1024);
    expect(proxy.totalBytes - sentBefore).toBe(24 * MiB);
    expect(await c.blobSize(digest)).toBe(blob.length);
    // Present already: a HEAD and nothing else.
    const before = proxy.totalBytes;
    expect(await c.uploadBlob(digest, blob.length, fromBuffer(blob), { chunkBytes: 8 * MiB })).toEqual({ skipped: true, resumedAt: blob.length });
    expect(proxy.totalBytes - before).toBe(0);
  });

  it('starts over cleanly when the cut chunk partly reached the registry (2.8 then refuses the stale upload)', async () => {
    const proxy = await startCountingProxy(anon.port, { buffer: false });
    proxies.push(proxy);
    const c = client({ baseUrl: proxy.url, repository: 'team/big-streamed' });
    const blob = crypto.randomBytes(12 * MiB);
    const digest = sha256Digest(blob);
    let saved: string | null = null;
    proxy.cutAfter(6 * MiB);
    expect(await codeOf(c.uploadBlob(digest, blob.length, fromBuffer(blob), { chunkBytes: 4 * MiB, onLocation: (l) => (saved = l) }))).toBe('REGISTRY_UNREACHABLE');
    const again = await c.uploadBlob(digest, blob.length, fromBuffer(blob), { chunkBytes: 4 * MiB, resumeLocation: saved });
    expect(again).toEqual({ skipped: false, resumedAt: 0 });
    expect(await c.blobSize(digest)).toBe(blob.length);
    const whole: Buffer[] = [];
    for await (const part of await c.getBlob(digest)) whole.push(part);
    expect(sha256Digest(Buffer.concat(whole))).toBe(digest);
  });

  it('survives a registry that crashes midway: the upload resumes (or restarts cleanly) after it comes back', async () => {
    const r = await registry();
    const c = client({ baseUrl: r.url, repository: 'team/crashy' });
    const blob = crypto.randomBytes(24 * MiB);
    const digest = sha256Digest(blob);
    let saved: string | null = null;
    let crashed = false;
    const crashingRead = async (offset: number, length: number) => {
      if (offset >= 16 * MiB && !crashed) {
        crashed = true;
        await r.kill();
      }
      return blob.subarray(offset, offset + length);
    };
    expect(await codeOf(c.uploadBlob(digest, blob.length, crashingRead, { chunkBytes: 8 * MiB, onLocation: (l) => (saved = l) }))).toBe('REGISTRY_UNREACHABLE');
    expect(await codeOf(c.blobSize(digest))).toBe('REGISTRY_UNREACHABLE');
    await r.restart();
    const progress: number[] = [];
    const result = await c.uploadBlob(digest, blob.length, fromBuffer(blob), { chunkBytes: 8 * MiB, resumeLocation: saved, onProgress: (n) => progress.push(n) });
    // The registry died before any byte of the third chunk arrived, so the upload it kept on disk matches the
    // saved location; had it died mid-chunk, 2.8 would refuse the location and the push would start over at 0.
    expect(result.resumedAt).toBe(16 * MiB);
    expect(progress.at(-1)).toBe(blob.length);
    expect(sha256Digest(await c.getBlobBuffer(digest, 32 * MiB))).toBe(digest);
  });
});

describe('registry authentication', () => {
  it('uses basic credentials and names the login command when they are wrong or missing', async () => {
    const r = await registry({ auth: 'basic' });
    const right = client({ baseUrl: r.url, repository: 'team/basic', credentials: async () => ({ username: r.user, password: r.password }) });
    await pushModel(right, 'v1', crypto.randomBytes(5000));
    expect(await right.listTags()).toEqual(['v1']);
    const wrong = client({ baseUrl: r.url, repository: 'team/basic', name: 'acme', credentials: async () => ({ username: r.user, password: 'nope' }) });
    const err = await wrong.listTags().catch((e: EngineError) => e);
    expect(err).toMatchObject({ code: 'REGISTRY_AUTH_FAILED' });
    expect((err as Error).message).toContain('tunebench registry login acme');
    expect((err as Error).message).not.toContain('nope');
    expect(await codeOf(client({ baseUrl: r.url, repository: 'team/basic' }).listTags())).toBe('REGISTRY_AUTH_FAILED');
  });

  it('follows the bearer-token flow, asking the realm for repository:<name>:pull,push with the credentials', async () => {
    const r = await registry({ auth: 'token' });
    const c = client({ baseUrl: r.url, repository: 'team/tokened', credentials: async () => ({ username: r.user, password: r.password }) });
    const { digest } = await pushModel(c, 'v1', crypto.randomBytes(5000));
    expect((await c.getManifest('v1'))?.digest).toBe(digest);
    expect(await c.referrers(digest)).toEqual([]); // the referrers probe (404 on 2.8) goes through the token too
    expect(r.tokenRequests).toContainEqual({ scopes: ['repository:team/tokened:pull,push'], account: r.user, service: r.service });
    // Tokens are cached per scope: a whole push asked the realm once for pull,push (and once for the pulls before it).
    expect(r.tokenRequests!.filter((t) => t.scopes[0] === 'repository:team/tokened:pull,push')).toHaveLength(1);
    const wrong = client({ baseUrl: r.url, repository: 'team/tokened', credentials: async () => ({ username: r.user, password: 'nope' }) });
    expect(await codeOf(wrong.getManifest('v1'))).toBe('REGISTRY_AUTH_FAILED');
    expect(await codeOf(client({ baseUrl: r.url, repository: 'team/tokened' }).getManifest('v1'))).toBe('REGISTRY_AUTH_FAILED');
  });

  it('parses challenges with commas inside quoted values', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push", Basic realm="x"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'reg', scope: 'repository:a/b:pull,push' } },
      { scheme: 'basic', params: { realm: 'x' } },
    ]);
  });

  it("reads docker's config.json: auths, identity tokens and credential helpers (a missing helper is no credentials)", async () => {
    const dir = tempDir('tb-dockercfg-');
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        auths: { 'reg.example:5000': { auth: Buffer.from('ann:pa:ss').toString('base64') }, 'https://id.example': { identitytoken: 'refresh-me' } },
        credHelpers: { 'helped.example': 'tbtest', 'gone.example': 'not-installed' },
      }),
    );
    const helper = path.join(dir, 'docker-credential-tbtest');
    fs.writeFileSync(
      helper,
      '#!/bin/sh\nread server\n[ "$server" = helped.example ] && echo "{\\"Username\\":\\"bob\\",\\"Secret\\":\\"s3cret\\"}" && exit 0\necho "credentials not found"; exit 1\n',
      { mode: 0o755 },
    );
    const oldPath = process.env.PATH;
    process.env.PATH = `${dir}:${oldPath}`;
    try {
      expect(await dockerCredentials('reg.example:5000', file)).toEqual({ username: 'ann', password: 'pa:ss' });
      expect(await dockerCredentials('id.example', file)).toEqual({ username: '<token>', password: 'refresh-me' });
      expect(await dockerCredentials('helped.example', file)).toEqual({ username: 'bob', password: 's3cret' });
      expect(await dockerCredentials('gone.example', file)).toBeNull();
      expect(await dockerCredentials('other.example', file)).toBeNull();
      expect(await dockerCredentials('reg.example:5000', path.join(dir, 'absent.json'))).toBeNull();
    } finally {
      process.env.PATH = oldPath;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('registry transport', () => {
  it('trusts a private CA only when given its file', async () => {
    const r = await registry({ tls: true });
    const trusted = client({ baseUrl: r.url, repository: 'team/tls', caFile: r.caFile! });
    await pushModel(trusted, 'v1', crypto.randomBytes(2000));
    expect(await client({ baseUrl: `https://localhost:${r.port}`, repository: 'team/tls', caFile: r.caFile! }).listTags()).toEqual(['v1']);
    const err = await client({ baseUrl: r.url, repository: 'team/tls' })
      .listTags()
      .catch((e: EngineError) => e);
    expect(err).toMatchObject({ code: 'REGISTRY_TLS_UNTRUSTED' });
    expect((err as Error).message).toContain(r.host);
    expect((err as Error).message).toContain('--ca-file');
  });

  it('follows Link pagination of the tag list (2.8 ignores n, so a stand-in registry pages here)', async () => {
    const pages: Record<string, { tags: string[]; next?: string }> = {
      '': { tags: ['a', 'b'], next: '/v2/team/paged/tags/list?n=1000&last=b' },
      b: { tags: ['c'], next: 'http://127.0.0.1:PORT/v2/team/paged/tags/list?n=1000&last=c' },
      c: { tags: [] },
    };
    const server = http.createServer((req, res) => {
      const page = pages[new URL(req.url!, 'http://x').searchParams.get('last') ?? '']!;
      const port = (server.address() as AddressInfo).port;
      res.writeHead(200, { 'content-type': 'application/json', ...(page.next ? { link: `<${page.next.replace('PORT', String(port))}>; rel="next"` } : {}) });
      res.end(JSON.stringify({ name: 'team/paged', tags: page.tags }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const c = client({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, repository: 'team/paged' });
      expect(await c.listTags()).toEqual(['a', 'b', 'c']);
    } finally {
      server.close();
    }
  });

  it('says a registry that is not running is unreachable', async () => {
    const r = await registry();
    await r.stop();
    expect(await codeOf(client({ baseUrl: r.url, repository: 'team/gone' }).listTags())).toBe('REGISTRY_UNREACHABLE');
  });

  it('refuses plain http beyond loopback unless allowed', () => {
    for (const host of ['127.0.0.1:5000', '127.1.2.3', 'localhost:5000', '[::1]:5000', '[::ffff:127.0.0.1]']) expect(isLoopbackHost(new URL(`http://${host}`).hostname)).toBe(true);
    for (const host of ['registry.example.com', '10.0.0.5', '127.evil.example', '[::2]', 'localhost.example']) {
      expect(isLoopbackHost(new URL(`http://${host}`).hostname)).toBe(false);
      const err = (() => {
        try {
          new OciClient({ baseUrl: `http://${host}`, repository: 'team/x' });
        } catch (e) {
          return e as EngineError;
        }
      })();
      expect(err).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(err!.message).toMatch(/https:\/\/.*--insecure-http/);
    }
    expect(parseRegistryUrl('http://registry.example.com', true).host).toBe('registry.example.com');
    expect(() => parseRegistryUrl('https://user:pw@registry.example.com')).toThrow(/registry login/);
    expect(() => new OciClient({ baseUrl: 'https://registry.example.com', repository: 'Team/Upper' })).toThrow(EngineError);
  });
});
