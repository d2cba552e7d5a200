// A project's datasets and their versions. Each version is the file as it was when added: hashed,
// counted and copied into the data directory (datasets/<sha256>) in one streaming pass, so a training
// fired later uses exactly that version whatever happens to the user's file since.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { Dataset, DatasetVersion } from '../../shared/domain/continuous';
import { newUlid } from '../../shared/ids';
import { EngineError } from '../errors';

const PREVIEW_BYTES = 2048;
const PREVIEW_LINES = 5;

interface VersionRow {
  id: string;
  dataset_id: string;
  version: number;
  sha256: string;
  bytes: number;
  lines: number;
  preview: string;
  source: string;
  created_at: number;
}

const toVersion = (r: VersionRow): DatasetVersion => ({
  id: r.id,
  datasetId: r.dataset_id,
  version: r.version,
  sha256: r.sha256,
  bytes: r.bytes,
  lines: r.lines,
  preview: r.preview,
  source: r.source,
  createdAt: r.created_at,
});

/** Hash, size, line count and preview of a file, copying it to `copyTo` in the same pass. */
async function readVersion(file: string, copyTo: string): Promise<{ sha256: string; bytes: number; lines: number; preview: string }> {
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  let lines = 0;
  let last = 0x0a;
  const head: Buffer[] = [];
  let headBytes = 0;
  const out = fs.createWriteStream(copyTo, { mode: 0o600 });
  try {
    for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.length;
      for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) lines++;
      last = chunk[chunk.length - 1]!;
      if (headBytes < PREVIEW_BYTES) {
        head.push(chunk.subarray(0, PREVIEW_BYTES - headBytes));
        headBytes += Math.min(chunk.length, PREVIEW_BYTES - headBytes);
      }
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  } catch (err) {
    out.destroy();
    fs.rmSync(copyTo, { force: true });
    throw err;
  }
  if (bytes > 0 && last !== 0x0a) lines++; // a last line without its newline still counts
  const preview = Buffer.concat(head).toString('utf8').split('\n').slice(0, PREVIEW_LINES).join('\n');
  return { sha256: hash.digest('hex'), bytes, lines, preview };
}

export class DatasetStore {
  constructor(
    private readonly db: Database.Database,
    private readonly dataDir: string,
  ) {}

  /** Where a version's bytes are kept. */
  fileOf(version: DatasetVersion): string {
    return path.join(this.dataDir, 'datasets', version.sha256, path.basename(version.source));
  }

  /**
   * Adds the file as the dataset's next version (making the dataset on first use). The same bytes as the
   * newest version add nothing (`added` false): a trigger must not fire for an unchanged file.
   */
  async add(projectId: string, name: string, file: string, source = path.resolve(file)): Promise<{ dataset: Dataset; version: DatasetVersion; added: boolean }> {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch (err) {
      throw new EngineError('DATASET_NOT_FOUND', `Cannot read ${file}: ${(err as Error).message}. Give a file this machine can read.`);
    }
    if (!stat.isFile()) throw new EngineError('DATASET_NOT_FOUND', `${file} is not a file. Give the dataset's file (JSONL, CSV, text).`);
    const staging = path.join(this.dataDir, 'datasets', `.incoming-${process.pid}-${Date.now()}`);
    fs.mkdirSync(path.dirname(staging), { recursive: true, mode: 0o700 });
    const read = await readVersion(file, staging);
    let result: { dataset: Dataset; version: DatasetVersion; added: boolean } | undefined;
    try {
      this.db.transaction(() => {
        let dataset = this.db.prepare<[string, string], { id: string }>('SELECT id FROM datasets WHERE project_id = ? AND name = ?').get(projectId, name);
        if (!dataset) {
          dataset = { id: newUlid() };
          this.db.prepare('INSERT INTO datasets (id, project_id, name, created_at) VALUES (?, ?, ?, ?)').run(dataset.id, projectId, name, Date.now());
        }
        const latest = this.latest(dataset.id);
        if (latest && latest.sha256 === read.sha256) {
          result = { dataset: this.get(dataset.id), version: latest, added: false };
          return;
        }
        const id = newUlid();
        this.db
          .prepare('INSERT INTO dataset_versions (id, dataset_id, version, sha256, bytes, lines, preview, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
          .run(id, dataset.id, (latest?.version ?? 0) + 1, read.sha256, read.bytes, read.lines, read.preview, source, Date.now());
        result = { dataset: this.get(dataset.id), version: this.version(id), added: true };
      })();
      const kept = this.fileOf(result!.version);
      if (!fs.existsSync(kept)) {
        fs.mkdirSync(path.dirname(kept), { recursive: true, mode: 0o700 });
        fs.renameSync(staging, kept);
      }
    } finally {
      fs.rmSync(staging, { force: true });
    }
    return result!;
  }

  get(id: string): Dataset {
    const row = this.db
      .prepare<[string], { id: string; project_id: string; name: string; created_at: number; watch_host_id: string | null; watch_path: string | null; watch_error: string | null }>(
        'SELECT * FROM datasets WHERE id = ?',
      )
      .get(id);
    if (!row) throw new EngineError('DATASET_NOT_FOUND', `No dataset ${id}.`);
    const count = this.db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM dataset_versions WHERE dataset_id = ?').get(id)!.n;
    const watch = row.watch_host_id && row.watch_path ? { hostId: row.watch_host_id, path: row.watch_path, error: row.watch_error } : null;
    return { id: row.id, projectId: row.project_id, name: row.name, latest: this.latest(id) ?? null, versions: count, watch, createdAt: row.created_at };
  }

  /** Watches a file on a host (making the dataset on first use); the next look takes its content as a version. */
  watch(projectId: string, name: string, hostId: string, remotePath: string): Dataset {
    let row = this.db.prepare<[string, string], { id: string }>('SELECT id FROM datasets WHERE project_id = ? AND name = ?').get(projectId, name);
    if (!row) {
      row = { id: newUlid() };
      this.db.prepare('INSERT INTO datasets (id, project_id, name, created_at) VALUES (?, ?, ?, ?)').run(row.id, projectId, name, Date.now());
    }
    this.db.prepare('UPDATE datasets SET watch_host_id = ?, watch_path = ?, watch_seen = NULL, watch_error = NULL WHERE id = ?').run(hostId, remotePath, row.id);
    return this.get(row.id);
  }

  watched(): { dataset: Dataset; seen: { size: number; mtime: number; sha256: string } | null }[] {
    return this.db
      .prepare<[], { id: string; watch_seen: string | null }>('SELECT id, watch_seen FROM datasets WHERE watch_host_id IS NOT NULL')
      .all()
      .map((r) => ({ dataset: this.get(r.id), seen: r.watch_seen ? (JSON.parse(r.watch_seen) as { size: number; mtime: number; sha256: string }) : null }));
  }

  setWatchSeen(id: string, seen: { size: number; mtime: number; sha256: string } | null, error: string | null): void {
    this.db.prepare('UPDATE datasets SET watch_seen = coalesce(?, watch_seen), watch_error = ? WHERE id = ?').run(seen ? JSON.stringify(seen) : null, error, id);
  }

  /** A project's dataset by name (or id). */
  find(projectId: string, ref: string): Dataset {
    const row = this.db.prepare<[string, string, string], { id: string }>('SELECT id FROM datasets WHERE project_id = ? AND (name = ? OR id = ?)').get(projectId, ref.trim(), ref.trim());
    if (!row) throw new EngineError('DATASET_NOT_FOUND', `The project has no dataset "${ref}". Add one with \`tunebench dataset add FILE --project P --name ${ref}\`.`);
    return this.get(row.id);
  }

  list(projectId: string): Dataset[] {
    return this.db
      .prepare<[string], { id: string }>('SELECT id FROM datasets WHERE project_id = ? ORDER BY name')
      .all(projectId)
      .map((r) => this.get(r.id));
  }

  versions(datasetId: string): DatasetVersion[] {
    return this.db.prepare<[string], VersionRow>('SELECT * FROM dataset_versions WHERE dataset_id = ? ORDER BY version DESC').all(datasetId).map(toVersion);
  }

  version(id: string): DatasetVersion {
    const row = this.db.prepare<[string], VersionRow>('SELECT * FROM dataset_versions WHERE id = ?').get(id);
    if (!row) throw new EngineError('DATASET_NOT_FOUND', `No dataset version ${id}.`);
    return toVersion(row);
  }

  latest(datasetId: string): DatasetVersion | undefined {
    const row = this.db.prepare<[string], VersionRow>('SELECT * FROM dataset_versions WHERE dataset_id = ? ORDER BY version DESC LIMIT 1').get(datasetId);
    return row && toVersion(row);
  }
}
