// An OCI registry as a ModelBackend: one repository per model (<prefix>/<model>), versions as tags that
// never change, aliases as tags that move; the approval (with the project's chain), the report and every
// alias move attached as referrers of the model manifest. The version tag is written last.
import { MEDIA, type AliasMove, type RegistryModel } from '../../shared/domain/registry';
import { EngineError } from '../errors';
import type { HostAccess } from '../hosts/host-access';
import type { ModelBackend, PushFile, PushPlan, PushProgress } from './backend';
import { canReachRegistry, directPush } from './direct-push';
import { filesOfManifest, json, referrerManifest, sha256, type ModelFile } from './modelpack';
import type { Credentials } from './oci/auth';
import { OciClient, descriptor, type Descriptor } from './oci/client';
import type { RegistryTarget } from './registry-store';
import type { SignedDecision } from './verify-model';

const SMALL = 64 * 1024 * 1024;
/** Upload chunk size: 16 MiB by default; TUNEBENCH_PUSH_CHUNK_BYTES tunes it (tests use small chunks to cut mid-blob). */
// Read at use, not load: the CLI runs from a startup snapshot made before any environment is known.
const chunkBytes = () => (Number(process.env.TUNEBENCH_PUSH_CHUNK_BYTES) > 0 ? Number(process.env.TUNEBENCH_PUSH_CHUNK_BYTES) : 16 * 1024 * 1024);
const VERSION_ANNOTATION = 'dev.tunebench.version';

/** A remote host the weights can be pushed from directly: its access, Python, and a folder of ours there. */
export interface DirectHost {
  access: HostAccess;
  python: string;
  workDir: string;
}

export class OciModelBackend implements ModelBackend {
  private readonly clients = new Map<string, OciClient>();

  constructor(
    private readonly target: RegistryTarget,
    private readonly credentials: () => Promise<Credentials | null>,
    /** Models this data directory pushed here: the registry API has no portable way to list repositories. */
    private readonly knownModels: () => string[],
    /** The SSH host holding a file, when the weights may go from there straight to the registry. */
    private readonly directHost: (hostId: string) => Promise<DirectHost | null> = async () => null,
    private readonly caPem: string | null = null,
  ) {}

  /**
   * Weights on a remote host go from there straight to the registry (a stdlib pusher run over SSH),
   * when that host can reach it; true when they did. Otherwise the caller relays them through the app.
   */
  private async pushDirect(model: string, files: PushFile[], progress: PushProgress): Promise<boolean> {
    const hostId = files[0]?.source.hostId;
    if (!hostId || files.some((f) => f.source.hostId !== hostId)) return false;
    const host = await this.directHost(hostId);
    if (!host || !(await canReachRegistry(host.access, host.python, host.workDir, this.target.baseUrl!, this.caPem, this.target.insecureHttp))) return false;
    let last = 0;
    const result = await directPush(
      host.access,
      host.python,
      {
        workDir: host.workDir,
        baseUrl: this.target.baseUrl!,
        repository: this.target.prefix ? `${this.target.prefix}/${model}` : model,
        caPem: this.caPem,
        insecureHttp: this.target.insecureHttp,
        credentials: await this.credentials(),
        chunkBytes: chunkBytes(),
        files: files.map((f) => ({ path: f.source.absPath, sha256: f.sha256, size: f.size })),
      },
      (total) => {
        progress.sent(total - last);
        last = total;
      },
    );
    for (const f of result.files) if (f.skipped || f.resumedAt) progress.skipped(f.skipped ? (files.find((x) => x.sha256 === f.sha256)?.size ?? 0) : f.resumedAt);
    return true;
  }

  private client(model: string): OciClient {
    let c = this.clients.get(model);
    if (!c) {
      c = new OciClient({
        baseUrl: this.target.baseUrl!,
        repository: this.target.prefix ? `${this.target.prefix}/${model}` : model,
        caFile: this.target.caFile,
        allowHttp: this.target.insecureHttp,
        credentials: this.credentials,
        name: this.target.name,
      });
      this.clients.set(model, c);
    }
    return c;
  }

  async versionDigest(model: string, version: string): Promise<string | null> {
    return this.client(model).resolveTag(version);
  }

  /** Uploads a small in-memory blob (config, statement, signature, report) unless the registry has it. */
  private async smallBlob(c: OciClient, data: Buffer): Promise<void> {
    await c.uploadBlob(`sha256:${sha256(data)}`, data.length, async (offset, length) => data.subarray(offset, offset + length));
  }

  private async attach(c: OciClient, subject: Descriptor, artifactType: string, layers: { mediaType: string; data: Buffer; title: string }[], annotations: Record<string, string> = {}): Promise<void> {
    for (const l of layers) await this.smallBlob(c, l.data);
    await this.smallBlob(c, Buffer.from('{}'));
    const body = referrerManifest(artifactType, subject, layers, annotations);
    const digest = await c.putManifest(`sha256:${sha256(body)}`, body, MEDIA.manifest);
    await c.attachReferrer(subject.digest, { ...descriptor(body, MEDIA.manifest, { artifactType, annotations }), digest });
  }

  async push(plan: PushPlan, progress: PushProgress): Promise<{ manifestDigest: string }> {
    const c = this.client(plan.model);
    const direct = await this.pushDirect(plan.model, plan.files, progress);
    for (const f of direct ? [] : plan.files) {
      const digest = `sha256:${f.sha256}`;
      let last = 0;
      const r = await c.uploadBlob(digest, f.size, f.read, {
        chunkBytes: chunkBytes(),
        resumeLocation: progress.location(digest),
        onLocation: (location) => progress.saveLocation(digest, location),
        onProgress: (offset) => {
          progress.sent(offset - last);
          last = offset;
        },
      });
      if (r.skipped) progress.skipped(f.size);
      else if (r.resumedAt) progress.skipped(r.resumedAt);
      progress.saveLocation(digest, null);
    }
    await this.smallBlob(c, plan.config);
    const manifestDigest = await c.putManifest(`sha256:${sha256(plan.manifest)}`, plan.manifest, MEDIA.manifest);
    const subject: Descriptor = { mediaType: MEDIA.manifest, digest: manifestDigest, size: plan.manifest.length };
    const chain = Buffer.from(plan.approval.chain.map((d) => JSON.stringify(d)).join('\n') + '\n');
    await this.attach(
      c,
      subject,
      MEDIA.approvalArtifact,
      [
        { mediaType: MEDIA.statement, data: Buffer.from(plan.approval.payload), title: 'approval.json' },
        { mediaType: MEDIA.sshsig, data: Buffer.from(plan.approval.signature), title: 'approval.json.sig' },
        { mediaType: MEDIA.chain, data: chain, title: 'approval-chain.jsonl' },
      ],
      { 'dev.tunebench.approval': plan.approval.digest },
    );
    await this.attach(c, subject, MEDIA.reportArtifact, [
      { mediaType: MEDIA.reportHtml, data: Buffer.from(plan.report.html), title: 'report.html' },
      { mediaType: MEDIA.reportJson, data: Buffer.from(plan.report.json), title: 'report.json' },
    ]);
    // Last: the version tag. Until here a failed push left only untagged content, no version.
    await c.putManifest(plan.version, plan.manifest, MEDIA.manifest);
    return { manifestDigest };
  }

  private async manifestOf(model: string, reference: string): Promise<{ digest: string; size: number; doc: { layers?: Descriptor[]; annotations?: Record<string, string> } } | null> {
    const m = await this.client(model).getManifest(reference);
    return m ? { digest: m.digest, size: m.body.length, doc: JSON.parse(m.body.toString('utf8')) as { layers?: Descriptor[]; annotations?: Record<string, string> } } : null;
  }

  async resolveAlias(model: string, alias: string): Promise<string | null> {
    const m = await this.manifestOf(model, alias);
    return m?.doc.annotations?.[VERSION_ANNOTATION] ?? null;
  }

  /** The layers of a referrer artifact, by title. */
  private async artifactFiles(c: OciClient, ref: Descriptor): Promise<Map<string, Buffer>> {
    const m = await c.getManifest(ref.digest);
    const out = new Map<string, Buffer>();
    if (!m) return out;
    const doc = JSON.parse(m.body.toString('utf8')) as { layers?: Descriptor[] };
    for (const l of doc.layers ?? []) out.set(l.annotations?.['org.opencontainers.image.title'] ?? l.digest, await c.getBlobBuffer(l.digest, SMALL));
    return out;
  }

  async read(model: string, version: string) {
    const c = this.client(model);
    const m = await this.manifestOf(model, version);
    if (!m) throw new EngineError('REGISTRY_NOT_FOUND', `${this.target.name} has no ${model}@${version}.`);
    const refs = await c.referrers(m.digest);
    const wanted = m.doc.annotations?.['dev.tunebench.approval'];
    const approvals = refs.filter((r) => r.artifactType === MEDIA.approvalArtifact);
    const approvalRef = approvals.find((r) => r.annotations?.['dev.tunebench.approval'] === wanted) ?? approvals[0];
    let approval: (SignedDecision & { chain: SignedDecision[] }) | null = null;
    if (approvalRef) {
      const files = await this.artifactFiles(c, approvalRef);
      const payload = files.get('approval.json')?.toString('utf8');
      const signature = files.get('approval.json.sig')?.toString('utf8');
      const chain = (files.get('approval-chain.jsonl')?.toString('utf8') ?? '')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as SignedDecision);
      if (payload && signature) approval = { payload, signature, chain };
    }
    const reportRef = refs.find((r) => r.artifactType === MEDIA.reportArtifact);
    const report = reportRef ? ((await this.artifactFiles(c, reportRef)).get('report.json')?.toString('utf8') ?? null) : null;
    return { model, version, manifestDigest: m.digest, files: filesOfManifest(m.doc), approval, report };
  }

  async setAlias(model: string, alias: string, version: string, move: AliasMove): Promise<void> {
    const c = this.client(model);
    const target = await c.getManifest(version);
    if (!target) throw new EngineError('REGISTRY_NOT_FOUND', `${this.target.name} has no ${model}@${version}.`);
    await c.putManifest(alias, target.body, target.mediaType);
    // The move is recorded in the registry itself, on the model it now points at, so history outlives this laptop.
    const subject: Descriptor = { mediaType: target.mediaType, digest: target.digest, size: target.body.length };
    await this.attach(c, subject, MEDIA.aliasArtifact, [{ mediaType: MEDIA.aliasMove, data: json(move), title: 'alias-move.json' }], { 'dev.tunebench.alias': alias });
  }

  async list(): Promise<RegistryModel[]> {
    const out: RegistryModel[] = [];
    for (const name of [...new Set(this.knownModels())].sort()) {
      const c = this.client(name);
      const tags = (await c.listTags()).filter((t) => !t.startsWith('sha256-'));
      const byTag = new Map<string, { digest: string; version: string | null }>();
      for (const t of tags) {
        const m = await this.manifestOf(name, t);
        if (m) byTag.set(t, { digest: m.digest, version: m.doc.annotations?.[VERSION_ANNOTATION] ?? null });
      }
      const versions = [...byTag].filter(([t, m]) => m.version === t).map(([t, m]) => ({ version: t, manifestDigest: m.digest }));
      const aliases = [...byTag].filter(([t, m]) => m.version !== t).map(([t, m]) => ({ alias: t, version: m.version }));
      const history: AliasMove[] = [];
      for (const v of versions) {
        for (const r of await c.referrers(v.manifestDigest!)) {
          if (r.artifactType !== MEDIA.aliasArtifact) continue;
          const move = (await this.artifactFiles(c, r)).get('alias-move.json');
          if (move) history.push(JSON.parse(move.toString('utf8')) as AliasMove);
        }
      }
      history.sort((a, b) => (a.at < b.at ? -1 : 1));
      out.push({ name, versions, aliases, history });
    }
    return out;
  }

  async download(model: string, _version: string, file: ModelFile, write: (chunk: Buffer) => Promise<void>): Promise<void> {
    for await (const chunk of await this.client(model).getBlob(`sha256:${file.sha256}`)) await write(chunk);
  }

  async allowedSigners(): Promise<string | null> {
    return null;
  }

  close(): void {
    for (const c of this.clients.values()) void c.close();
  }
}
