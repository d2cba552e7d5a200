// Direct push from the GPU host: resources/remote/push_blobs.py run through LocalAccess with the system Python
// against Debian's docker-registry 2.8 with token auth (through the counting proxy), basic auth and TLS.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineError } from '../../src/main/errors';
import { LocalAccess } from '../../src/main/hosts/host-access';
import { canReachRegistry, directPush, type DirectPushSpec } from '../../src/main/registry/direct-push';
import { OciClient } from '../../src/main/registry/oci/client';
import { startRegistry, type TestRegistry } from '../support/registry.mjs';
import { tempDir } from '../support/tunebench';

const MiB = 1024 * 1024;
const PYTHON = '/usr/bin/python3';
const access = new LocalAccess();
let tokenReg: TestRegistry;
let basicReg: TestRegistry;
let tlsReg: TestRegistry;
let dir: string;
let big: { path: string; sha256: string; size: number };
let small: { path: string; sha256: string; size: number };

function makeFile(name: string, bytes: Buffer) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return { path: file, sha256: crypto.createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
}

beforeAll(async () => {
  [tokenReg, basicReg, tlsReg] = await Promise.all([startRegistry({ auth: 'token', proxy: true }), startRegistry({ auth: 'basic' }), startRegistry({ tls: true })]);
  dir = tempDir('tb-direct-push-');
  big = makeFile('model.safetensors', crypto.randomBytes(20 * MiB));
  small = makeFile('config.json', crypto.randomBytes(3000));
});
afterAll(async () => {
  await Promise.all([tokenReg, basicReg, tlsReg].filter(Boolean).map((r) => r.stop()));
  fs.rmSync(dir, { recursive: true, force: true });
});

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: unknown) => (e instanceof EngineError ? e.code : String(e)),
  );

function spec(r: TestRegistry, over: Partial<DirectPushSpec> = {}): DirectPushSpec {
  return {
    workDir: path.join(dir, 'run'),
    baseUrl: r.url,
    repository: 'team/model',
    caPem: null,
    insecureHttp: false,
    credentials: { username: r.user, password: r.password },
    chunkBytes: 4 * MiB,
    files: [small, big],
    ...over,
  };
}

/** Checks with the engine's own client that each file is in the repository and hashes right. */
async function expectBlobs(r: TestRegistry, repository: string, files: (typeof big)[], caFile?: string) {
  const c = new OciClient({ baseUrl: r.url, repository, caFile, credentials: async () => ({ username: r.user, password: r.password }) });
  try {
    for (const f of files) {
      expect(await c.blobSize(`sha256:${f.sha256}`)).toBe(f.size);
      const body = await c.getBlobBuffer(`sha256:${f.sha256}`, 32 * MiB);
      expect(crypto.createHash('sha256').update(body).digest('hex')).toBe(f.sha256);
    }
  } finally {
    await c.close();
  }
}

/** Every file under a directory, for "no secret ever reached the disk". */
function allText(root: string): string {
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => fs.readFileSync(path.join(d.parentPath, d.name), 'latin1'))
    .join('\n');
}

describe('direct push from the GPU host', () => {
  it('pushes two files through the token flow, reporting progress, leaving no state and no secret on disk', async () => {
    const progress: number[] = [];
    const s = spec(tokenReg, { baseUrl: tokenReg.proxy!.url, repository: 'team/direct' });
    const result = await directPush(access, PYTHON, s, (n) => progress.push(n));
    expect(result.files).toEqual([
      { sha256: small.sha256, skipped: false, resumedAt: 0, sent: small.size },
      { sha256: big.sha256, skipped: false, resumedAt: 0, sent: big.size },
    ]);
    expect(progress.at(-1)).toBe(small.size + big.size);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    // One token for the repository's pull,push, fetched with the login.
    expect(tokenReg.tokenRequests!.some((t) => t.account === tokenReg.user && t.scopes.includes('repository:team/direct:pull,push'))).toBe(true);
    expect(tokenReg.proxy!.digestBytes(`sha256:${big.sha256}`)).toBe(big.size);
    await expectBlobs(tokenReg, 'team/direct', [small, big]);
    const pushDir = path.join(s.workDir, '.tb-push');
    expect(fs.statSync(pushDir).mode & 0o777).toBe(0o700);
    expect(fs.readdirSync(path.join(pushDir, 'state'))).toEqual([]);
    expect(allText(pushDir)).not.toContain(tokenReg.password);
    // Again: both blobs are there, so nothing is sent.
    const before = tokenReg.proxy!.totalBytes;
    const again = await directPush(access, PYTHON, s);
    expect(again.files.map((f) => f.skipped)).toEqual([true, true]);
    expect(tokenReg.proxy!.totalBytes).toBe(before);
  });

  it("resumes an upload cut midway from the registry's offset and skips the blob it finished", async () => {
    const proxy = tokenReg.proxy!;
    // Files of its own: the proxy counts uploads by digest across repositories.
    const small = makeFile('resume-config.json', crypto.randomBytes(3000));
    const big = makeFile('resume-model.safetensors', crypto.randomBytes(20 * MiB));
    const s = spec(tokenReg, { baseUrl: proxy.url, repository: 'team/resume', chunkBytes: 2 * MiB, workDir: path.join(dir, 'resume'), files: [small, big] });
    proxy.cutAfter(small.size + 9 * MiB); // inside the fifth 2 MiB chunk of the big file
    const first = await codeOf(directPush(access, PYTHON, s));
    expect(first).toBe('REGISTRY_UNREACHABLE');
    expect(fs.readdirSync(path.join(s.workDir, '.tb-push', 'state'))).toEqual([`${big.sha256}.json`]);
    const progress: number[] = [];
    const second = await directPush(access, PYTHON, s, (n) => progress.push(n));
    expect(second.files).toEqual([
      { sha256: small.sha256, skipped: true, resumedAt: small.size, sent: 0 },
      { sha256: big.sha256, skipped: false, resumedAt: 8 * MiB, sent: 12 * MiB },
    ]);
    expect(progress.at(-1)).toBe(small.size + big.size);
    const digest = `sha256:${big.sha256}`;
    expect(proxy.uploadsFor(digest)).toHaveLength(1); // the same upload, continued
    expect(proxy.digestBytes(digest)).toBeLessThan(big.size + s.chunkBytes);
    await expectBlobs(tokenReg, 'team/resume', [small, big]);
  });

  it('uses basic auth, and says so when the password is wrong or missing', async () => {
    const s = spec(basicReg, { repository: 'team/basic', files: [small] });
    expect(await codeOf(directPush(access, PYTHON, { ...s, credentials: { username: basicReg.user, password: 'wrong' } }))).toBe('REGISTRY_AUTH_FAILED');
    expect(await codeOf(directPush(access, PYTHON, { ...s, credentials: null }))).toBe('REGISTRY_AUTH_FAILED');
    const wrongToken = directPush(access, PYTHON, spec(tokenReg, { repository: 'team/nope', credentials: { username: tokenReg.user, password: 'wrong' } }));
    await expect(wrongToken).rejects.toThrow(/Wrong user name or password/);
    expect((await directPush(access, PYTHON, s)).files[0]!.skipped).toBe(false);
    await expectBlobs(basicReg, 'team/basic', [small]);
  });

  it('verifies TLS: an unknown CA is refused, the given CA is trusted', async () => {
    const s = spec(tlsReg, { repository: 'team/tls', files: [small], credentials: null });
    const untrusted = directPush(access, PYTHON, s);
    await expect(untrusted).rejects.toMatchObject({ code: 'REGISTRY_TLS_UNTRUSTED', message: expect.stringMatching(/--ca-file/) });
    const caPem = fs.readFileSync(tlsReg.caFile!, 'utf8');
    expect((await directPush(access, PYTHON, { ...s, caPem })).files[0]!.skipped).toBe(false);
    await expectBlobs(tlsReg, 'team/tls', [small], tlsReg.caFile);
  });

  it('refuses a file whose size changed, and plain http to a host that is not loopback', async () => {
    const s = spec(basicReg, { repository: 'team/size', files: [{ ...small, size: small.size + 1 }] });
    expect(await codeOf(directPush(access, PYTHON, s))).toBe('VERIFY_FAILED');
    expect(await codeOf(directPush(access, PYTHON, { ...s, baseUrl: 'http://registry.invalid:5000', files: [small] }))).toBe('VALIDATION_FAILED');
  });

  it('sends the login to the registry only, not to a storage host it redirects to', async () => {
    const seen: { where: string; authorization?: string }[] = [];
    const serve = (where: string, handle: (req: http.IncomingMessage, res: http.ServerResponse) => void) => {
      const server = http.createServer((req, res) => {
        seen.push({ where, authorization: req.headers.authorization });
        handle(req, res);
      });
      return new Promise<http.Server>((r) => server.listen(0, '127.0.0.1', () => r(server)));
    };
    const storage = await serve('storage', (_req, res) => res.writeHead(200, { 'content-length': String(small.size) }).end());
    const storageUrl = `http://127.0.0.1:${(storage.address() as AddressInfo).port}/blob`;
    const registry = await serve('registry', (req, res) => {
      if (!req.headers.authorization) res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end();
      else res.writeHead(307, { location: storageUrl }).end();
    });
    try {
      const baseUrl = `http://127.0.0.1:${(registry.address() as AddressInfo).port}`;
      const result = await directPush(access, PYTHON, { ...spec(basicReg, { files: [small], workDir: path.join(dir, 'redirect') }), baseUrl });
      expect(result.files[0]!.skipped).toBe(true);
    } finally {
      await Promise.all([storage, registry].map((srv) => new Promise((r) => srv.close(r))));
    }
    expect(seen.map((s) => [s.where, s.authorization?.split(' ')[0]])).toEqual([
      ['registry', undefined],
      ['registry', 'Basic'],
      ['storage', undefined],
    ]);
  });

  it('probes: a registry answers, a closed port or an untrusted certificate does not; the pusher names itself', async () => {
    const workDir = path.join(dir, 'probe');
    expect(await canReachRegistry(access, PYTHON, workDir, tokenReg.url, null, false)).toBe(true);
    expect(await canReachRegistry(access, PYTHON, workDir, basicReg.url, null, false)).toBe(true);
    const caPem = fs.readFileSync(tlsReg.caFile!, 'utf8');
    expect(await canReachRegistry(access, PYTHON, workDir, tlsReg.url, caPem, false)).toBe(true);
    expect(await canReachRegistry(access, PYTHON, workDir, tlsReg.url, null, false)).toBe(false);
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    expect(await canReachRegistry(access, PYTHON, workDir, `http://127.0.0.1:${closedPort}`, null, false)).toBe(false);
    // The proxy keeps no headers, so a stand-in registry records the User-Agent.
    const agents: (string | undefined)[] = [];
    const standIn = http.createServer((req, res) => {
      agents.push(req.headers['user-agent']);
      res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end();
    });
    await new Promise<void>((r) => standIn.listen(0, '127.0.0.1', r));
    try {
      expect(await canReachRegistry(access, PYTHON, workDir, `http://127.0.0.1:${(standIn.address() as AddressInfo).port}`, null, false)).toBe(true);
    } finally {
      await new Promise((r) => standIn.close(r));
    }
    expect(agents).toEqual(['tunebench-pusher/1']);
  });
});
