// Suites in SQLite: added from a file, kept as name@version with their content digest. The same
// version with other cases is refused; a new version is kept beside the old.
import type Database from 'better-sqlite3';
import { type Suite, type SuiteSpec } from '../../shared/domain/testing';
import { newUlid } from '../../shared/ids';
import { EngineError } from '../errors';
import type { ProjectStore } from '../projects/project-store';
import { parseSuiteFile, suiteDigest } from './suite-file';

interface SuiteRow {
  id: string;
  project_id: string;
  name: string;
  version: string;
  digest: string;
  spec: string;
  file_name: string;
  created_at: number;
}

function kindsOf(spec: SuiteSpec): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const c of spec.cases) kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
  if (spec.harness) kinds.harness = spec.harness.tasks.length;
  return kinds;
}

export class SuiteStore {
  private readonly specs = new Map<string, SuiteSpec>();

  constructor(
    private readonly db: Database.Database,
    private readonly projects: ProjectStore,
  ) {}

  private toSuite(r: SuiteRow): Suite {
    const spec = this.spec(r.id, r.spec);
    return { id: r.id, projectId: r.project_id, name: r.name, version: r.version, digest: r.digest, cases: spec.cases.length, kinds: kindsOf(spec), fileName: r.file_name, createdAt: r.created_at };
  }

  /** The normalized suite, parsed once per process (ingest scores every record against it). */
  spec(id: string, text?: string): SuiteSpec {
    let spec = this.specs.get(id);
    if (!spec) {
      const json = text ?? this.db.prepare<[string], { spec: string }>('SELECT spec FROM suites WHERE id = ?').get(id)?.spec;
      if (json === undefined) throw new EngineError('SUITE_NOT_FOUND', `No suite with id ${id}.`);
      spec = JSON.parse(json) as SuiteSpec;
      this.specs.set(id, spec);
    }
    return spec;
  }

  add(projectRef: string, fileName: string, text: string): { suite: Suite; added: boolean } {
    const project = this.projects.get(projectRef);
    const spec = parseSuiteFile(fileName, text);
    const digest = suiteDigest(spec);
    const existing = this.db.prepare<[string, string, string], SuiteRow>('SELECT * FROM suites WHERE project_id = ? AND name = ? AND version = ?').get(project.id, spec.name, spec.version);
    if (existing) {
      if (existing.digest === digest) return { suite: this.toSuite(existing), added: false };
      throw new EngineError(
        'SUITE_VERSION_EXISTS',
        `${spec.name}@${spec.version} is already in ${project.name} with other cases (${existing.digest.slice(0, 19)}…, now ${digest.slice(0, 19)}…). A version never changes: give the file a new version and add it again.`,
        { name: spec.name, version: spec.version, existing: existing.digest, now: digest },
      );
    }
    const row: SuiteRow = {
      id: newUlid(),
      project_id: project.id,
      name: spec.name,
      version: spec.version,
      digest,
      spec: JSON.stringify(spec),
      file_name: fileName.slice(0, 500),
      created_at: Date.now(),
    };
    this.db
      .prepare('INSERT INTO suites (id, project_id, name, version, digest, spec, source, file_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(row.id, row.project_id, row.name, row.version, row.digest, row.spec, text, row.file_name, row.created_at);
    return { suite: this.toSuite(row), added: true };
  }

  list(projectRef: string): Suite[] {
    const project = this.projects.get(projectRef);
    return this.db
      .prepare<[string], SuiteRow>('SELECT * FROM suites WHERE project_id = ? ORDER BY name, created_at DESC')
      .all(project.id)
      .map((r) => this.toSuite(r));
  }

  byId(id: string): Suite {
    const row = this.db.prepare<[string], SuiteRow>('SELECT * FROM suites WHERE id = ?').get(id);
    if (!row) throw new EngineError('SUITE_NOT_FOUND', `No suite with id ${id}.`);
    return this.toSuite(row);
  }

  /** NAME@VERSION, or NAME for its newest version (the pinned one when `pinned` names this suite). */
  resolve(projectRef: string, ref: string, pinned?: string | null): Suite {
    const project = this.projects.get(projectRef);
    const at = ref.lastIndexOf('@');
    let name = at > 0 ? ref.slice(0, at) : ref;
    let version = at > 0 ? ref.slice(at + 1) : null;
    if (version === null && pinned) {
      const p = pinned.lastIndexOf('@');
      if (p > 0 && pinned.slice(0, p) === name) version = pinned.slice(p + 1);
    }
    const row =
      version !== null
        ? this.db.prepare<[string, string, string], SuiteRow>('SELECT * FROM suites WHERE project_id = ? AND name = ? AND version = ?').get(project.id, name, version)
        : this.db.prepare<[string, string], SuiteRow>('SELECT * FROM suites WHERE project_id = ? AND name = ? ORDER BY created_at DESC, id DESC LIMIT 1').get(project.id, name);
    if (!row) {
      name = name.slice(0, 100);
      const known = this.list(project.id).map((s) => `${s.name}@${s.version}`);
      throw new EngineError(
        'SUITE_NOT_FOUND',
        `No suite ${name}${version !== null ? `@${version.slice(0, 50)}` : ''} in ${project.name}. ${known.length ? `Known: ${known.slice(0, 20).join(', ')}.` : 'Add one with `tunebench suite add FILE --project P`.'}`,
      );
    }
    return this.toSuite(row);
  }

  source(id: string): { fileName: string; text: string } {
    const row = this.db.prepare<[string], { file_name: string; source: string }>('SELECT file_name, source FROM suites WHERE id = ?').get(id);
    if (!row) throw new EngineError('SUITE_NOT_FOUND', `No suite with id ${id}.`);
    return { fileName: row.file_name, text: row.source };
  }
}
