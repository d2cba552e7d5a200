// One repository in an OCI registry: resumable chunked blob pushes, verified pulls, manifests, tags, and referrers,
// with the `sha256-<hex>` tag fallback for registries without the referrers API (Debian's docker-registry 2.8).
import crypto from 'node:crypto';
import { z } from 'zod';
import { EngineError } from '../../errors';
import { type Credentials, RegistryAuth } from './auth';
import { type RegistryRequest, type RegistryResponse, RegistryHttp, discard, errorText, networkError, readBody, refusal } from './http';

export const MediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const REPOSITORY = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024; // the spec's suggested limit; bigger is not a manifest we wrote
const READ_PIECE = 1024 * 1024; // how much of a chunk is pulled through `read` at a time

export const Descriptor = z.object({
  mediaType: z.string().min(1),
  digest: z.string().regex(DIGEST),
  size: z.number().int().nonnegative(),
  artifactType: z.string().optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type Descriptor = z.infer<typeof Descriptor>;
const LooseDescriptor = Descriptor.loose(); // keeps fields other tools wrote when we rewrite an index
const Index = z.object({ manifests: z.array(LooseDescriptor).nullish() }).loose();

export function sha256Digest(buf: Buffer): string {
  return `sha256:${crypto.createHash('sha256').update(buf).digest('hex')}`;
}

export function descriptor(body: Buffer, mediaType: string, extra: { artifactType?: string; annotations?: Record<string, string> } = {}): Descriptor {
  return { mediaType, digest: sha256Digest(body), size: body.length, ...extra };
}

/** The tag under which a registry without the referrers API keeps the index of a manifest's referrers. */
export function referrersTag(subjectDigest: string): string {
  return `sha256-${subjectDigest.slice('sha256:'.length)}`;
}

function assertDigest(digest: string): void {
  if (!DIGEST.test(digest)) throw new EngineError('VALIDATION_FAILED', `"${digest.slice(0, 80)}" is not a sha256 digest (sha256:<64 hex>).`);
}

export interface OciClientOptions {
  baseUrl: string;
  repository: string;
  caFile?: string | null;
  allowHttp?: boolean;
  credentials?: () => Promise<Credentials | null>;
  /** The name the user gave this registry, for hints like `tunebench registry login NAME`; defaults to the host. */
  name?: string;
}

export interface UploadOptions {
  resumeLocation?: string | null;
  chunkBytes?: number;
  onLocation?(location: string): void;
  onProgress?(sentBytes: number): void;
}

type Scope = 'pull' | 'push';

export class OciClient {
  readonly repository: string;
  private readonly http: RegistryHttp;
  private readonly auth: RegistryAuth;
  private referrersApi: boolean | undefined;

  constructor(opts: OciClientOptions) {
    if (!REPOSITORY.test(opts.repository)) throw new EngineError('VALIDATION_FAILED', `"${opts.repository.slice(0, 100)}" is not a repository name (lower-case words joined by / . _ -).`);
    this.repository = opts.repository;
    this.http = new RegistryHttp({ baseUrl: opts.baseUrl, caFile: opts.caFile ?? null, allowHttp: opts.allowHttp ?? false });
    this.auth = new RegistryAuth({ http: this.http, displayName: opts.name ?? this.http.host, credentials: opts.credentials });
  }

  get host(): string {
    return this.http.host;
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /** Sends a request with whatever authentication the registry asked for; credentials never go to another origin. */
  private async send(scope: Scope, req: RegistryRequest): Promise<RegistryResponse> {
    const scopeText = `repository:${this.repository}:${scope === 'push' ? 'pull,push' : 'pull'}`;
    for (let attempt = 0; ; attempt++) {
      const url = this.http.resolve(req.url);
      const authorization = this.http.sameOrigin(url) ? await this.auth.authorization(scopeText) : undefined;
      const res = await this.http.request({ ...req, headers: { ...req.headers, ...(authorization ? { authorization } : {}) } });
      if (res.status !== 401 || !this.http.sameOrigin(url)) return res;
      const challenge = res.header('www-authenticate');
      await discard(res);
      if (attempt >= 2) throw new EngineError('REGISTRY_AUTH_FAILED', `${this.host} keeps refusing the login for ${this.repository}.`);
      await this.auth.answer(challenge, scopeText, authorization);
    }
  }

  private path(kind: 'blobs' | 'manifests' | 'tags' | 'referrers', ref = ''): string {
    return `/v2/${this.repository}/${kind}/${ref}`;
  }

  // ---- blobs ----

  async blobSize(digest: string, scope: Scope = 'pull'): Promise<number | null> {
    assertDigest(digest);
    const res = await this.openBlob(digest, 'HEAD', scope);
    await discard(res);
    return res.status === 404 ? null : Number(res.header('content-length') ?? -1);
  }

  /**
   * Pushes a blob in chunks pulled through `read`, so the bytes may come from another host and never sit whole in
   * memory. Skips a blob the registry has; continues an upload from `resumeLocation` when the registry still holds it.
   * Every Location the registry hands out goes to `onLocation` so a caller that dies can resume. `resumedAt` is how
   * many bytes the registry already held (the size when skipped).
   */
  async uploadBlob(digest: string, size: number, read: (offset: number, length: number) => Promise<Buffer>, opts: UploadOptions = {}): Promise<{ skipped: boolean; resumedAt: number }> {
    assertDigest(digest);
    if (!Number.isSafeInteger(size) || size < 0) throw new EngineError('VALIDATION_FAILED', `A blob size must be a whole number of bytes, not ${size}.`);
    const chunkBytes = Math.max(1, Math.floor(opts.chunkBytes ?? 16 * 1024 * 1024));
    if ((await this.blobSize(digest, 'push')) !== null) return { skipped: true, resumedAt: size };

    let session = opts.resumeLocation ? await this.uploadStatus(opts.resumeLocation) : null;
    if (session && session.offset > size) session = null; // not this blob's upload
    const resumedAt = session?.offset ?? 0;
    if (!session) session = await this.startUpload();
    let { location, offset } = session;
    if (location !== opts.resumeLocation) opts.onLocation?.(location);

    for (let outOfOrder = 0; offset < size;) {
      const length = Math.min(chunkBytes, size - offset);
      const res = await this.sendChunk(location, offset, length, read);
      if (res.status === 416 && outOfOrder++ < 3) {
        // The registry holds a different offset than we thought: ask it and continue from there.
        await discard(res);
        const status = await this.uploadStatus(location);
        if (!status) throw new EngineError('REGISTRY_REFUSED', `${this.host} lost the upload of ${digest.slice(0, 19)} midway; push again.`);
        ({ location, offset } = status);
        continue;
      }
      if (res.status !== 202 && res.status !== 204) throw await refusal(res, `Uploading ${digest.slice(0, 19)} at byte ${offset}`);
      await discard(res);
      location = this.http.resolve(res.header('location') ?? location).href;
      const end = rangeEnd(res.header('range'));
      // Trust the registry's count over ours, except for "0-0" which means zero or one byte.
      offset = end !== null && end > 0 && end + 1 <= size ? end + 1 : offset + length;
      opts.onLocation?.(location);
      opts.onProgress?.(offset);
    }

    const put = await this.send('push', { method: 'PUT', url: withQuery(location, 'digest', digest), headers: { 'content-length': '0' } });
    if (put.status !== 201 && put.status !== 204) {
      const said = await errorText(put);
      if (/DIGEST_INVALID|SIZE_INVALID/.test(said)) throw new EngineError('VERIFY_FAILED', `The bytes pushed do not hash to ${digest} (${said}); the file changed while it was read. Push again.`);
      throw new EngineError('REGISTRY_REFUSED', `Finishing the upload of ${digest.slice(0, 19)}: ${this.host} answered HTTP ${put.status}: ${said}`, { status: put.status });
    }
    await discard(put);
    const stored = put.header('docker-content-digest');
    if (stored && stored !== digest) throw new EngineError('VERIFY_FAILED', `${this.host} stored the blob as ${stored}, not ${digest}.`);
    return { skipped: false, resumedAt };
  }

  private async startUpload(): Promise<{ location: string; offset: number }> {
    const res = await this.send('push', { method: 'POST', url: this.path('blobs', 'uploads/'), headers: { 'content-length': '0' } });
    if (res.status !== 202) throw await refusal(res, `Starting an upload to ${this.repository}`);
    await discard(res);
    const location = res.header('location');
    if (!location) throw new EngineError('REGISTRY_REFUSED', `${this.host} started an upload without saying where to send it (no Location).`);
    return { location: this.http.resolve(location).href, offset: 0 };
  }

  /** Where an upload stands (GET on its location: 204 with Range); null when the registry no longer knows it. */
  private async uploadStatus(location: string): Promise<{ location: string; offset: number } | null> {
    const res = await this.send('push', { method: 'GET', url: location });
    await discard(res);
    if (res.status >= 400 && res.status < 500) return null; // expired, unknown, or (docker-registry 2.8) invalidated
    if (res.status !== 204 && res.status !== 200) throw await refusal(res, 'Asking where an upload stands');
    const end = rangeEnd(res.header('range'));
    return { location: this.http.resolve(res.header('location') ?? location).href, offset: end === null || end === 0 ? 0 : end + 1 };
  }

  /** PATCHes one chunk, streaming it piece by piece with one piece read ahead. */
  private async sendChunk(location: string, offset: number, length: number, read: (offset: number, length: number) => Promise<Buffer>): Promise<RegistryResponse> {
    let readFailure: { error: unknown } | undefined;
    const pieces = async function* (): AsyncGenerator<Buffer> {
      const end = offset + length;
      const next = (at: number): Promise<Buffer> => {
        const want = Math.min(READ_PIECE, end - at);
        const p = read(at, want).then((buf) => {
          if (buf.length !== want)
            throw new EngineError('VALIDATION_FAILED', `Reading the blob gave ${buf.length} bytes at offset ${at} where ${want} were expected; the file is shorter than its size or changed.`);
          return buf;
        });
        p.catch((error: unknown) => (readFailure ??= { error })); // a read-ahead may fail after the request ended
        return p;
      };
      let pending = next(offset);
      for (let at = offset; at < end;) {
        const buf = await pending;
        at += buf.length;
        if (at < end) pending = next(at);
        yield buf;
      }
    };
    try {
      return await this.send('push', {
        method: 'PATCH',
        url: location,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(length), 'content-range': `${offset}-${offset + length - 1}` },
        body: pieces,
      });
    } catch (err) {
      // A failing source (an SSH link to the weights' host) is its own error, not the registry's.
      if (readFailure) throw readFailure.error;
      throw err;
    }
  }

  /** GET (or HEAD) a blob, following storage redirects (credentials stay with the registry). HEAD answers 404. */
  private async openBlob(digest: string, method: 'GET' | 'HEAD' = 'GET', scope: Scope = 'pull'): Promise<RegistryResponse> {
    assertDigest(digest);
    let url = this.path('blobs', digest);
    for (let hops = 0; hops < 5; hops++) {
      const res = await this.send(scope, { method, url });
      if (res.status === 200 || (res.status === 404 && method === 'HEAD')) return res;
      const next = res.header('location');
      if ([301, 302, 303, 307, 308].includes(res.status) && next) {
        await discard(res);
        url = new URL(next, res.url).href;
        continue;
      }
      throw await refusal(res, `Fetching blob ${digest.slice(0, 19)} from ${this.repository}`);
    }
    throw new EngineError('REGISTRY_REFUSED', `${this.host} redirected blob ${digest.slice(0, 19)} too many times.`);
  }

  /** Streams a blob; the sha256 is checked as it flows and the last read throws VERIFY_FAILED if it does not match. */
  async getBlob(digest: string): Promise<AsyncIterable<Buffer>> {
    const res = await this.openBlob(digest);
    const host = this.host;
    return (async function* () {
      const hash = crypto.createHash('sha256');
      try {
        for await (const chunk of res.body) {
          hash.update(chunk as Buffer);
          yield chunk as Buffer;
        }
      } catch (err) {
        throw networkError(err, host);
      } finally {
        res.body.destroy();
      }
      const got = `sha256:${hash.digest('hex')}`;
      if (got !== digest) throw new EngineError('VERIFY_FAILED', `Blob ${digest} from ${host} hashes to ${got}; it is corrupt or was replaced.`);
    })();
  }

  /** A small blob (a config, a signature) whole, verified; refuses one larger than `maxBytes`. */
  async getBlobBuffer(digest: string, maxBytes: number): Promise<Buffer> {
    const res = await this.openBlob(digest);
    const body = await readBody(res, maxBytes);
    if (!body) throw new EngineError('REGISTRY_REFUSED', `Blob ${digest.slice(0, 19)} in ${this.repository} is larger than the ${maxBytes} bytes expected.`);
    const got = sha256Digest(body);
    if (got !== digest) throw new EngineError('VERIFY_FAILED', `Blob ${digest} from ${this.host} hashes to ${got}; it is corrupt or was replaced.`);
    return body;
  }

  // ---- manifests and tags ----

  async putManifest(reference: string, body: Buffer, mediaType: string): Promise<string> {
    const digest = sha256Digest(body);
    if (DIGEST.test(reference) ? reference !== digest : !TAG.test(reference))
      throw new EngineError('VALIDATION_FAILED', `"${reference.slice(0, 140)}" is neither a valid tag nor this manifest's digest.`);
    const res = await this.send('push', { method: 'PUT', url: this.path('manifests', reference), headers: { 'content-type': mediaType }, body });
    if (res.status !== 201 && res.status !== 200 && res.status !== 202) throw await refusal(res, `Storing manifest ${reference.slice(0, 80)} in ${this.repository}`);
    await discard(res);
    const stored = res.header('docker-content-digest');
    if (stored && stored !== digest) throw new EngineError('VERIFY_FAILED', `${this.host} stored the manifest as ${stored}, not ${digest}.`);
    return digest;
  }

  private manifestAccept(): Record<string, string> {
    return { accept: [MediaTypes.ociManifest, MediaTypes.ociIndex, MediaTypes.dockerManifest, MediaTypes.dockerManifestList].join(', ') };
  }

  async getManifest(reference: string): Promise<{ digest: string; mediaType: string; body: Buffer } | null> {
    const res = await this.send('pull', { method: 'GET', url: this.path('manifests', reference), headers: this.manifestAccept() });
    if (res.status === 404) return discard(res).then(() => null);
    if (res.status !== 200) throw await refusal(res, `Reading manifest ${reference.slice(0, 80)} from ${this.repository}`);
    const body = await readBody(res, MAX_MANIFEST_BYTES);
    if (!body) throw new EngineError('REGISTRY_REFUSED', `Manifest ${reference.slice(0, 80)} in ${this.repository} is larger than 4 MiB.`);
    const digest = sha256Digest(body);
    const claimed = res.header('docker-content-digest');
    if ((DIGEST.test(reference) && reference !== digest) || (claimed && claimed.startsWith('sha256:') && claimed !== digest))
      throw new EngineError('VERIFY_FAILED', `Manifest ${reference.slice(0, 80)} from ${this.host} hashes to ${digest}; it is corrupt or was replaced.`);
    let mediaType = (res.header('content-type') ?? '').split(';')[0]!.trim();
    if (!mediaType || mediaType === 'application/json') {
      try {
        mediaType = String((JSON.parse(body.toString('utf8')) as { mediaType?: unknown }).mediaType ?? mediaType);
      } catch {
        // leave what the registry said
      }
    }
    return { digest, mediaType, body };
  }

  /** The digest a tag points at (HEAD); null when there is no such tag. */
  async resolveTag(reference: string): Promise<string | null> {
    const res = await this.send('pull', { method: 'HEAD', url: this.path('manifests', reference), headers: this.manifestAccept() });
    await discard(res);
    if (res.status === 404) return null;
    if (res.status !== 200) throw await refusal(res, `Looking up ${reference.slice(0, 80)} in ${this.repository}`);
    return res.header('docker-content-digest') ?? (await this.getManifest(reference))?.digest ?? null;
  }

  /** Every tag, following Link pagination; a repository that does not exist yet has none. */
  async listTags(): Promise<string[]> {
    const tags: string[] = [];
    let url: string | null = `${this.path('tags', 'list')}?n=1000`;
    for (let page = 0; url && page < 10_000; page++) {
      const res = await this.send('pull', { method: 'GET', url });
      if (res.status === 404) return discard(res).then(() => tags);
      if (res.status !== 200) throw await refusal(res, `Listing the tags of ${this.repository}`);
      const body = await readBody(res, 16 * 1024 * 1024);
      let doc: { tags?: string[] | null };
      try {
        doc = JSON.parse(body?.toString('utf8') ?? '') as typeof doc;
      } catch {
        throw new EngineError('REGISTRY_REFUSED', `${this.host} answered the tag list of ${this.repository} with something that is not JSON.`);
      }
      tags.push(...(doc.tags ?? []));
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(res.header('link') ?? '');
      url = next ? new URL(next[1]!, res.url).href : null;
    }
    return tags;
  }

  // ---- referrers ----

  /** The referrers API's answer, or null where the registry has none (404 and friends). Remembered per client. */
  private async referrersFromApi(subjectDigest: string): Promise<z.infer<typeof LooseDescriptor>[] | null> {
    if (this.referrersApi === false) return null;
    const res = await this.send('pull', { method: 'GET', url: this.path('referrers', subjectDigest), headers: { accept: MediaTypes.ociIndex } });
    if ([404, 400, 405, 501].includes(res.status)) {
      await discard(res);
      this.referrersApi = false;
      return null;
    }
    if (res.status !== 200) throw await refusal(res, `Listing referrers of ${subjectDigest.slice(0, 19)}`);
    this.referrersApi = true;
    return parseIndex(await readBody(res, MAX_MANIFEST_BYTES), this.host);
  }

  async referrers(subjectDigest: string): Promise<Descriptor[]> {
    assertDigest(subjectDigest);
    let found = await this.referrersFromApi(subjectDigest);
    if (!found) {
      const index = await this.getManifest(referrersTag(subjectDigest));
      found = index ? parseIndex(index.body, this.host) : [];
    }
    return found.map((d) => Descriptor.parse(d));
  }

  /**
   * Records that a pushed manifest refers to `subjectDigest`. A registry with the referrers API indexes the
   * manifest's `subject` itself; otherwise the `sha256-<hex>` index tag gets the descriptor, and the referrer gets
   * its own tag so `garbage-collect --delete-untagged` keeps it. Safe to repeat.
   */
  async attachReferrer(subjectDigest: string, desc: Descriptor): Promise<void> {
    assertDigest(subjectDigest);
    const entry = Descriptor.parse(desc);
    if ((await this.referrersFromApi(subjectDigest)) !== null) return;
    const tag = referrersTag(subjectDigest);
    // Tag the referrer first: it fails clearly if the referrer was never pushed, and the index may only name it then.
    const ownTag = `${tag}.${entry.digest.slice('sha256:'.length, 'sha256:'.length + 12)}`;
    if ((await this.resolveTag(ownTag)) !== entry.digest) {
      const manifest = await this.getManifest(entry.digest);
      if (!manifest) throw new EngineError('REGISTRY_NOT_FOUND', `Referrer ${entry.digest.slice(0, 19)} is not in ${this.repository}; push it before attaching it.`);
      await this.putManifest(ownTag, manifest.body, manifest.mediaType);
    }
    // docker-registry 2.8 has no conditional PUT: read, add, write, then read back, and redo if another writer
    // replaced the index in between.
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.getManifest(tag);
      const manifests = current ? parseIndex(current.body, this.host) : [];
      if (manifests.some((d) => d.digest === entry.digest)) return;
      const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [...manifests, entry] }));
      await this.putManifest(tag, body, MediaTypes.ociIndex);
    }
    throw new EngineError('REGISTRY_REFUSED', `The referrers index ${tag} in ${this.repository} keeps changing under us; try again.`);
  }
}

function parseIndex(body: Buffer | null, host: string): z.infer<typeof LooseDescriptor>[] {
  try {
    return Index.parse(JSON.parse(body?.toString('utf8') ?? '')).manifests ?? [];
  } catch {
    throw new EngineError('REGISTRY_REFUSED', `${host} answered with a referrers index that is not an OCI image index.`);
  }
}

/** The last byte offset in `Range: 0-N` (some registries prefix `bytes=`); null when absent. */
function rangeEnd(range: string | undefined): number | null {
  const m = /(\d+)-(\d+)\s*$/.exec(range ?? '');
  return m ? Number(m[2]) : null;
}

function withQuery(location: string, key: string, value: string): string {
  const url = new URL(location);
  url.searchParams.append(key, value);
  return url.href;
}
