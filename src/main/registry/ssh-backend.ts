// The SSH directory registry as a ModelBackend: a version is staged and renamed into place (write-once,
// exactly one of two racing pushes wins), approvals.log carries the project's chain of decisions,
// aliases are files replaced atomically with their moves logged beside them.
import { ApprovalStatement } from '../../shared/domain/review';
import type { AliasMove, RegistryModel } from '../../shared/domain/registry';
import { EngineError } from '../errors';
import type { HostAccess } from '../hosts/host-access';
import type { ModelBackend, PushPlan, PushProgress } from './backend';
import { filesOfManifest, sha256, type ModelFile } from './modelpack';
import { SshDirRegistry } from './ssh-dir';
import type { SignedDecision } from './verify-model';

const CHUNK = 8 * 1024 * 1024;

export class SshModelBackend implements ModelBackend {
  private readonly dir: SshDirRegistry;

  constructor(
    private readonly access: HostAccess,
    private readonly hostId: string,
    private readonly root: string,
  ) {
    this.dir = new SshDirRegistry(access, root);
  }

  async versionDigest(model: string, version: string): Promise<string | null> {
    const m = await this.dir.versionManifest(model, version).catch((err: unknown) => {
      if ((err as { code?: string }).code === 'VALIDATION_FAILED') throw err;
      return null;
    });
    return m ? `sha256:${sha256(m)}` : null;
  }

  /** The decisions of approvals.log that are the approval's project's, in the order they were appended. */
  private async projectChain(projectId: string): Promise<(SignedDecision & { digest: string })[]> {
    const seen = new Set<string>();
    const out: (SignedDecision & { digest: string })[] = [];
    for (const line of await this.dir.approvalsLog()) {
      try {
        const e = JSON.parse(line) as { digest: string; payload: string; signature: string };
        const s = ApprovalStatement.parse(JSON.parse(e.payload));
        if (s.predicate.project.id !== projectId || seen.has(e.digest)) continue;
        seen.add(e.digest);
        out.push({ digest: e.digest, payload: e.payload, signature: e.signature });
      } catch {
        // a line that is not a decision (edited by hand): verification then finds the chain broken
      }
    }
    return out;
  }

  async push(plan: PushPlan, progress: PushProgress): Promise<{ manifestDigest: string }> {
    // The registry's allowed_signers are the project's: written when the registry is new, kept otherwise.
    const current = await this.dir.allowedSigners().catch(() => null);
    if (current === null) await this.dir.init(plan.allowedSigners);
    const { stagingDir } = await this.dir.beginVersion(plan.model);
    try {
      for (const f of plan.files) {
        if (f.source.hostId === this.hostId) {
          await this.dir.copyLocal(stagingDir, f.path, f.source.absPath);
          progress.sent(f.size);
        } else {
          let sentOfFile = 0;
          await this.dir.writeStagedFile(
            stagingDir,
            f.path,
            async (offset, length) => {
              const buf = await f.read(offset, length);
              sentOfFile += buf.length;
              progress.sent(buf.length);
              return buf;
            },
            f.size,
          );
          void sentOfFile;
        }
      }
      const statement = ApprovalStatement.parse(JSON.parse(plan.approval.payload));
      await this.dir.writeStagedText(stagingDir, 'manifest.json', plan.manifest.toString('utf8'));
      await this.dir.writeStagedText(stagingDir, 'config.json', plan.config.toString('utf8'));
      await this.dir.writeStagedText(stagingDir, 'approval.json', plan.approval.payload);
      await this.dir.writeStagedText(stagingDir, 'approval.json.sig', plan.approval.signature);
      await this.dir.writeStagedText(stagingDir, 'report.html', plan.report.html);
      await this.dir.writeStagedText(stagingDir, 'report.json', plan.report.json);
      await this.dir.writeStagedText(stagingDir, 'lineage.json', plan.lineage);
      // The chain first (append what the log lacks, oldest first), then the version appears.
      const logged = new Set((await this.projectChain(statement.predicate.project.id)).map((d) => d.digest));
      for (const d of plan.approval.chain) {
        const digest = `sha256:${sha256(d.payload)}`;
        if (logged.has(digest)) continue;
        await this.dir.appendApproval({ digest, payload: d.payload, signature: d.signature, model: plan.model, version: plan.version, at: new Date().toISOString() });
        logged.add(digest);
      }
      await this.dir.commitVersion(
        plan.model,
        plan.version,
        stagingDir,
        plan.files.map((f) => ({ path: f.path, sha256: f.sha256 })),
      );
    } catch (err) {
      await this.dir.abortVersion(stagingDir).catch(() => {});
      // Another push of the very same model won the race: the version is what this push meant to publish.
      const ours = `sha256:${sha256(plan.manifest)}`;
      if ((err as { code?: string }).code === 'REGISTRY_REFUSED' && (await this.versionDigest(plan.model, plan.version).catch(() => null)) === ours) return { manifestDigest: ours };
      throw err;
    }
    return { manifestDigest: `sha256:${sha256(plan.manifest)}` };
  }

  async resolveAlias(model: string, alias: string): Promise<string | null> {
    return this.dir.resolveAlias(model, alias);
  }

  async read(model: string, version: string) {
    const manifestBytes = await this.dir.versionManifest(model, version);
    if (!manifestBytes) throw new EngineError('REGISTRY_NOT_FOUND', `The registry at ${this.root} has no ${model}@${version}.`);
    const manifest = JSON.parse(manifestBytes.toString('utf8')) as { layers?: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[] };
    const text = async (rel: string) => (await this.dir.readVersionFile(model, version, rel).catch(() => null))?.toString('utf8') ?? null;
    const payload = await text('approval.json');
    const signature = await text('approval.json.sig');
    let approval: (SignedDecision & { chain: SignedDecision[] }) | null = null;
    if (payload !== null && signature !== null) {
      let chain: SignedDecision[];
      try {
        const s = ApprovalStatement.parse(JSON.parse(payload));
        const all = await this.projectChain(s.predicate.project.id);
        const digest = `sha256:${sha256(payload)}`;
        const end = all.findIndex((d) => d.digest === digest);
        chain = (end >= 0 ? all.slice(0, end + 1) : all).map(({ payload: p, signature: sig }) => ({ payload: p, signature: sig }));
      } catch {
        chain = [];
      }
      approval = { payload, signature, chain };
    }
    return { model, version, manifestDigest: `sha256:${sha256(manifestBytes)}`, files: filesOfManifest(manifest), approval, report: await text('report.json') };
  }

  async setAlias(model: string, alias: string, version: string, move: AliasMove): Promise<void> {
    await this.dir.setAlias(model, alias, version, { who: move.who, approval: move.approval });
  }

  async list(): Promise<RegistryModel[]> {
    const models = await this.dir.listModels().catch(() => [] as string[]);
    const out: RegistryModel[] = [];
    for (const name of models) {
      const versions = await this.dir.listVersions(name);
      const aliases = await this.dir.listAliases(name);
      out.push({
        name,
        versions: await Promise.all(versions.map(async (v) => ({ version: v, manifestDigest: await this.versionDigest(name, v) }))),
        aliases: aliases.map((a) => ({ alias: a.alias, version: a.version })),
        history: (await this.dir.aliasHistory(name)).map((h) => ({ alias: h.alias, from: h.from, to: h.to, who: h.who, at: h.at, approval: h.approval })),
      });
    }
    return out;
  }

  async download(model: string, version: string, file: ModelFile, write: (chunk: Buffer) => Promise<void>): Promise<void> {
    const abs = `${this.dir.root}/${model}/${version}/files/${file.path}`;
    for (let offset = 0; ;) {
      const chunk = await this.access.readRange(abs, offset, CHUNK);
      if (chunk.length) await write(chunk);
      offset += chunk.length;
      if (chunk.length < CHUNK) break;
    }
  }

  async allowedSigners(): Promise<string | null> {
    return this.dir.allowedSigners().catch(() => null);
  }

  close(): void {
    // The host connection belongs to the host service; nothing of ours to close.
  }
}
