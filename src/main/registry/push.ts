// Pushing an approved model: only a model with a valid approval (decision approve, signature, signer
// rights, evidence) is pushed, and only once the files where they live re-hash to the approved digests.
// Files stream from their host in chunks; blob uploads resume where the registry says they stopped;
// the version tag is written last, so a failed or partial push leaves none behind.
import type Database from 'better-sqlite3';
import type { Push } from '../../shared/domain/registry';
import { ApprovalStatement } from '../../shared/domain/review';
import { newUlid } from '../../shared/ids';
import { EngineError } from '../errors';
import { oneAtATime } from '../one-at-a-time';
import { shQuote } from '../hosts/host-access';
import type { HostService } from '../hosts/host-service';
import type { ProjectStore } from '../projects/project-store';
import type { ApprovalRulesStore } from '../review/approval-rules';
import type { ApprovalStore } from '../review/approvals';
import type { RunStore } from '../runs/run-store';
import { buildReport, renderReportFiles, type ReportDeps } from '../testing/test-report';
import type { TestStore } from '../testing/test-store';
import type { ModelBackend, PushFile, PushProgress } from './backend';
import { modelConfig, modelManifest, sha256 } from './modelpack';
import type { RegistryTarget } from './registry-store';

export interface PushDeps extends ReportDeps {
  db: Database.Database;
  projects: ProjectStore;
  runs: RunStore;
  tests: TestStore;
  hosts: HostService;
  approvals: ApprovalStore;
  rules: ApprovalRulesStore;
  onProgress(push: Push): void;
}

interface PushRow {
  id: string;
  registry_id: string;
  approval: string;
  model: string;
  version: string;
  status: Push['status'];
  bytes_total: number;
  bytes_done: number;
  manifest_digest: string | null;
  error: string | null;
  started_at: number;
  ended_at: number | null;
}

const NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
/** Pushes under way in each engine (by its database connection), by registry, model and version. */
const underWay = new WeakMap<object, Set<string>>();

const refused = (message: string, details?: unknown) => new EngineError('PUSH_REFUSED', message, details);

export function toPush(r: PushRow, registryName: string, live?: { skipped: number; rate: number | null }): Push {
  const left = r.bytes_total - r.bytes_done;
  return {
    id: r.id,
    registry: registryName,
    approval: r.approval,
    model: r.model,
    version: r.version,
    status: r.status,
    bytesTotal: r.bytes_total,
    bytesDone: r.bytes_done,
    bytesSkipped: live?.skipped ?? 0,
    rateBytesPerSecond: live?.rate ?? null,
    secondsLeft: live?.rate && r.status === 'running' ? Math.round(left / live.rate) : null,
    manifestDigest: r.manifest_digest,
    error: r.error,
    startedAt: r.started_at,
    endedAt: r.ended_at,
  };
}

/** Pushes, newest first, of one registry (by name) or all. */
export function listPushes(db: Database.Database, registry?: string): Push[] {
  const rows = db
    .prepare<[string | null, string | null], PushRow & { registry_name: string }>(
      'SELECT p.*, r.name AS registry_name FROM pushes p JOIN registries r ON r.id = p.registry_id WHERE (? IS NULL OR r.name = ? COLLATE NOCASE) ORDER BY p.started_at DESC',
    )
    .all(registry ?? null, registry ?? null);
  return rows.map((r) => toPush(r, r.registry_name));
}

/** The default model name: the project's, in the registry's alphabet. */
export function modelNameFor(projectName: string): string {
  return (
    projectName
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[._-]+|[._-]+$/g, '')
      .replace(/[._-]{2,}/g, '-') || 'model'
  );
}

/** Hashes the files where they are (sha256sum on their host) and returns what differs from the approval. */
async function rehash(deps: PushDeps, hostId: string, dir: string, files: { path: string; sha256: string }[]): Promise<string[]> {
  const access = await deps.hosts.access(deps.hosts.get(hostId), { now: true });
  const r = await access.exec(`cd ${shQuote(dir)} && sha256sum -b -- ${files.map((f) => shQuote(f.path)).join(' ')}`, { timeoutMs: 30 * 60_000 });
  const got = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^([0-9a-f]{64}) \*(.+)$/.exec(line);
    if (m) got.set(m[2]!, m[1]!);
  }
  return files
    .filter((f) => got.get(f.path) !== f.sha256)
    .map((f) => (got.has(f.path) ? `${f.path} is sha256:${got.get(f.path)!.slice(0, 16)}… now, approved sha256:${f.sha256.slice(0, 16)}…` : `${f.path} is missing`));
}

export async function pushApproval(
  deps: PushDeps,
  target: RegistryTarget,
  backend: ModelBackend,
  input: { approval: string; model?: string | undefined; version?: string | undefined },
): Promise<Push> {
  const approval = deps.approvals.get(input.approval);
  if (approval.decision !== 'approve') throw refused(`Decision ${approval.digest.slice(0, 23)}… is "${approval.decision}" by ${approval.reviewer}; only an approved model is pushed.`);
  const verified = deps.approvals.verify(approval.projectId, approval.digest, false);
  if (!verified.ok) throw refused(`The approval does not verify, so nothing is pushed: ${verified.links[0]?.problems.join('; ')}.`);
  const row = deps.approvals.row(approval.digest);
  const statement = ApprovalStatement.parse(JSON.parse(row.payload));
  const project = deps.projects.get(approval.projectId);
  const test = deps.tests.summary(approval.testRunId);
  const planned = deps.tests.models(test.id).planned.find((m) => m.role === 'candidate');
  const candidateRun = deps.runs.get(test.candidate.runId);
  if (!planned) throw refused(`Test run ${test.id} has no candidate model to push.`);
  const files = statement.predicate.files;
  const model = input.model ?? modelNameFor(project.name);
  const version = input.version ?? (statement.subject[0]!.digest.sha256 ?? '').slice(0, 12);
  if (!NAME.test(model)) throw new EngineError('VALIDATION_FAILED', `"${model.slice(0, 100)}" is not a model name: lower-case letters and digits, separated by . _ or -.`);
  if (!TAG.test(version)) throw new EngineError('VALIDATION_FAILED', `"${version.slice(0, 100)}" is not a version: letters, digits, . _ -, up to 128, not starting with . or -.`);
  // One push of a version at a time from this engine, taken before anything is awaited: a second (a double
  // click) reset the first's row and progress, and whichever ended last said how both went. Two engines (the
  // app and the CLI) still race at the registry, where one publishes and the other finds it done.
  const key = `${target.id}\n${model}\n${version}`;
  const pushing = underWay.get(deps.db) ?? underWay.set(deps.db, new Set()).get(deps.db)!;
  const busy = () => refused(`${model}@${version} is being pushed to ${target.name} now: wait for that push to end (its progress is on the Registry page), then push again if it failed.`);
  return oneAtATime(pushing, key, busy, async () => {
    // The bytes to push must be the approved bytes, hashed where they are now.
    const differ = await rehash(deps, candidateRun.hostId, planned.dir, files);
    if (differ.length) throw refused(`The files on ${candidateRun.hostName} are not the approved bytes (${differ.join('; ')}). Nothing was pushed.`, { differ });

    const report = renderReportFiles(buildReport(deps, test.id));
    if (report.htmlSha256 !== statement.predicate.evidence.reportSha256)
      throw refused("The test run's report changed since it was approved (a waiver was added?); the approval's evidence is not this report. Ask for a new review.");

    const chain = deps.approvals
      .list(project.id)
      .filter((a) => a.seq <= approval.seq)
      .map((a) => deps.approvals.row(a.digest))
      .map((r) => ({ payload: r.payload, signature: r.signature }));
    const lineage = JSON.stringify({ ...statement.predicate.lineage, testRun: test.id, approval: approval.digest, project: { id: project.id, name: project.name } });
    const config = modelConfig({ name: model, version, files, lineage: JSON.parse(lineage) as Record<string, unknown>, approval: approval.digest, createdAt: statement.predicate.time });
    const manifest = modelManifest(config, files, {
      'org.opencontainers.image.created': statement.predicate.time,
      'org.opencontainers.image.title': model,
      'dev.tunebench.version': version,
      'dev.tunebench.approval': approval.digest,
    });
    const manifestDigest = `sha256:${sha256(manifest)}`;
    const existing = await backend.versionDigest(model, version);
    if (existing && existing !== manifestDigest)
      throw new EngineError('REGISTRY_REFUSED', `${model}@${version} exists in ${target.name} with other content (${existing.slice(0, 23)}…). Versions never change: push under another --version.`);

    const access = await deps.hosts.access(deps.hosts.get(candidateRun.hostId), { now: true });
    const pushFiles: PushFile[] = files.map((f) => {
      const absPath = `${planned.dir.replace(/\/+$/, '')}/${f.path}`;
      return { ...f, source: { hostId: candidateRun.hostId, absPath }, read: (offset, length) => access.readRange(absPath, offset, length) };
    });
    const total = files.reduce((n, f) => n + f.size, 0);
    let pushRow = deps.db
      .prepare<[string, string, string, string], PushRow>('SELECT * FROM pushes WHERE registry_id = ? AND model = ? AND version = ? AND approval = ?')
      .get(target.id, model, version, approval.digest);
    if (!pushRow) {
      const id = newUlid();
      deps.db
        .prepare("INSERT INTO pushes (id, registry_id, approval, model, version, status, bytes_total, started_at) VALUES (?, ?, ?, ?, ?, 'running', ?, ?)")
        .run(id, target.id, approval.digest, model, version, total, Date.now());
      pushRow = deps.db.prepare<[string], PushRow>('SELECT * FROM pushes WHERE id = ?').get(id)!;
    } else {
      deps.db.prepare("UPDATE pushes SET status = 'running', error = NULL, ended_at = NULL, bytes_done = 0, bytes_total = ? WHERE id = ?").run(total, pushRow.id);
    }
    const id = pushRow.id;
    const get = () => deps.db.prepare<[string], PushRow>('SELECT * FROM pushes WHERE id = ?').get(id)!;
    if (existing === manifestDigest) {
      deps.db.prepare("UPDATE pushes SET status = 'done', bytes_done = bytes_total, manifest_digest = ?, ended_at = ? WHERE id = ?").run(manifestDigest, Date.now(), id);
      return toPush(get(), target.name);
    }

    const started = Date.now();
    let sent = 0;
    let skipped = 0;
    let lastWrite = 0;
    const live = () => ({ skipped, rate: sent > 0 ? sent / Math.max(0.001, (Date.now() - started) / 1000) : null });
    const report$ = (force = false) => {
      const now = Date.now();
      if (!force && now - lastWrite < 250) return;
      lastWrite = now;
      deps.db.prepare('UPDATE pushes SET bytes_done = ? WHERE id = ?').run(Math.min(total, sent + skipped), id);
      deps.onProgress(toPush(get(), target.name, live()));
    };
    const locations = deps.db.prepare<[string, string], { location: string | null }>('SELECT location FROM push_blobs WHERE push_id = ? AND digest = ?');
    const progress: PushProgress = {
      sent: (n) => {
        sent += n;
        report$();
      },
      skipped: (n) => {
        skipped += n;
        report$();
      },
      location: (digest) => locations.get(id, digest)?.location ?? null,
      saveLocation: (digest, location) => {
        deps.db
          .prepare('INSERT INTO push_blobs (push_id, digest, size, location) VALUES (?, ?, 0, ?) ON CONFLICT (push_id, digest) DO UPDATE SET location = excluded.location')
          .run(id, digest, location);
      },
    };
    try {
      const result = await backend.push(
        {
          model,
          version,
          files: pushFiles,
          config,
          manifest,
          approval: { payload: row.payload, signature: row.signature, digest: approval.digest, chain },
          report: { html: report.html, json: report.json },
          lineage,
          allowedSigners: deps.rules.get(project.id).allowedSigners,
        },
        progress,
      );
      deps.db.prepare("UPDATE pushes SET status = 'done', bytes_done = bytes_total, manifest_digest = ?, ended_at = ? WHERE id = ?").run(result.manifestDigest, Date.now(), id);
    } catch (err) {
      deps.db.prepare("UPDATE pushes SET status = 'failed', error = ?, ended_at = ? WHERE id = ?").run(err instanceof Error ? err.message : String(err), Date.now(), id);
      report$(true);
      throw err;
    }
    const done = toPush(get(), target.name, live());
    deps.onProgress(done);
    return done;
  });
}
