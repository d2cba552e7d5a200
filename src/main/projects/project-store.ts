// Projects in SQLite: create, list, find by id or name, rename, describe, archive.
import type Database from 'better-sqlite3';
import { newUlid, ULID_PATTERN } from '../../shared/ids';
import type { CodePin, Goal, Project } from '../../shared/domain/project';
import { EngineError } from '../errors';

interface ProjectRow {
  id: string;
  name: string;
  description: string;
  base_model: string;
  archived_at: number | null;
  created_at: number;
  updated_at: number;
  objective_metric: string;
  objective_goal: Goal;
  recipe: string | null;
  recipe_params: string | null;
  recipe_from_run: string | null;
  recipe_code: string | null;
  production_run: string | null;
  production_checkpoint: string | null;
}

const toProject = (r: ProjectRow): Project => ({
  id: r.id,
  name: r.name,
  description: r.description,
  baseModel: r.base_model,
  archived: r.archived_at !== null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  objective: { metric: r.objective_metric, goal: r.objective_goal },
  recipe: r.recipe
    ? {
        name: r.recipe,
        params: JSON.parse(r.recipe_params ?? '{}') as Record<string, unknown>,
        fromRunId: r.recipe_from_run ?? '',
        code: r.recipe_code ? (JSON.parse(r.recipe_code) as CodePin) : null,
      }
    : null,
  production: r.production_run ? { runId: r.production_run, checkpoint: r.production_checkpoint } : null,
});

export class ProjectStore {
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    this.stmts = {
      insert: db.prepare<[string, string, string, string, number, number]>('INSERT INTO projects (id, name, description, base_model, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)'),
      byId: db.prepare<[string], ProjectRow>('SELECT * FROM projects WHERE id = ?'),
      byName: db.prepare<[string], ProjectRow>('SELECT * FROM projects WHERE name = ?'),
      listActive: db.prepare<[], ProjectRow>('SELECT * FROM projects WHERE archived_at IS NULL ORDER BY updated_at DESC, id DESC'),
      listAll: db.prepare<[], ProjectRow>('SELECT * FROM projects ORDER BY updated_at DESC, id DESC'),
      rename: db.prepare<[string, number, string]>('UPDATE projects SET name = ?, updated_at = ? WHERE id = ?'),
      describe: db.prepare<[string | null, string | null, number, string]>(
        'UPDATE projects SET description = coalesce(?, description), base_model = coalesce(?, base_model), updated_at = ? WHERE id = ?',
      ),
      archive: db.prepare<[number | null, number, string]>('UPDATE projects SET archived_at = ?, updated_at = ? WHERE id = ?'),
    };
  }

  list(includeArchived = false): Project[] {
    return (includeArchived ? this.stmts.listAll : this.stmts.listActive).all().map(toProject);
  }

  /** Finds a project by id, else by name (case-insensitive, as names are unique that way). */
  get(ref: string): Project {
    const key = ref.normalize('NFC').trim();
    const row = (ULID_PATTERN.test(key) ? this.stmts.byId.get(key) : undefined) ?? this.stmts.byName.get(key);
    if (!row) {
      throw new EngineError('PROJECT_NOT_FOUND', `No project named or with id "${truncate(key)}". List projects with \`tunebench project list\`.`);
    }
    return toProject(row);
  }

  create(input: { name: string; description?: string; baseModel?: string }, now = Date.now()): Project {
    const id = newUlid(now);
    this.withNameCheck(input.name, () => this.stmts.insert.run(id, input.name, input.description ?? '', input.baseModel ?? '', now, now));
    return this.get(id);
  }

  rename(ref: string, name: string, now = Date.now()): Project {
    const project = this.get(ref);
    this.withNameCheck(name, () => this.stmts.rename.run(name, now, project.id));
    return this.get(project.id);
  }

  describe(ref: string, change: { description?: string; baseModel?: string }, now = Date.now()): Project {
    const project = this.get(ref);
    this.stmts.describe.run(change.description ?? null, change.baseModel ?? null, now, project.id);
    return this.get(project.id);
  }

  setArchived(ref: string, archived: boolean, now = Date.now()): Project {
    const project = this.get(ref);
    if (project.archived === archived) return project;
    this.stmts.archive.run(archived ? now : null, now, project.id);
    return this.get(project.id);
  }

  setObjective(ref: string, metric: string, goal: Goal, now = Date.now()): Project {
    const project = this.get(ref);
    this.db.prepare('UPDATE projects SET objective_metric = ?, objective_goal = ?, updated_at = ? WHERE id = ?').run(metric, goal, now, project.id);
    return this.get(project.id);
  }

  setRecipe(ref: string, recipe: { name: string; params: unknown; fromRunId: string; code?: CodePin | null }, now = Date.now()): Project {
    const project = this.get(ref);
    this.db
      .prepare('UPDATE projects SET recipe = ?, recipe_params = ?, recipe_from_run = ?, recipe_code = ?, updated_at = ? WHERE id = ?')
      .run(recipe.name, JSON.stringify(recipe.params), recipe.fromRunId, recipe.code ? JSON.stringify(recipe.code) : null, now, project.id);
    return this.get(project.id);
  }

  /** The model in production: what a test run's baseline is by default. Approvals will set it; until then, by hand. */
  setProduction(ref: string, production: { runId: string; checkpoint: string | null } | null, now = Date.now()): Project {
    const project = this.get(ref);
    this.db.prepare('UPDATE projects SET production_run = ?, production_checkpoint = ?, updated_at = ? WHERE id = ?').run(production?.runId ?? null, production?.checkpoint ?? null, now, project.id);
    return this.get(project.id);
  }

  private withNameCheck(name: string, write: () => void): void {
    // get() reads a ref as an id before a name, so a project named like an id would be found as
    // that other project, or shadow it: refuse every id-shaped name, in either case (names ignore case).
    if (ULID_PATTERN.test(name.normalize('NFC').trim().toUpperCase())) {
      throw new EngineError(
        'VALIDATION_FAILED',
        `"${name.trim()}" has the shape of a project id (26 letters and digits), so it could not be told apart from one. Choose a name that is not 26 letters and digits alone, e.g. add a "-".`,
      );
    }
    try {
      write();
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new EngineError('PROJECT_NAME_TAKEN', `A project named "${name}" already exists (names ignore case). Choose another name.`);
      }
      throw err;
    }
  }
}

function truncate(s: string, max = 120): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
