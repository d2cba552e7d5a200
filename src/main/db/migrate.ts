// Applies numbered migrations in one transaction and bumps user_version; refuses a database from the future.
import type Database from 'better-sqlite3';
import { EngineError } from '../errors';

export interface Migration {
  version: number;
  name: string;
  up: string;
}

export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

export function currentVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Brings the schema up to date. Returns the versions applied (empty when already current). */
export function migrate(db: Database.Database, migrations: readonly Migration[], databasePath: string): number[] {
  const latest = latestVersion(migrations);
  const current = currentVersion(db);
  if (current > latest) {
    throw new EngineError(
      'DB_TOO_NEW',
      `The database at ${databasePath} was written by a newer Tunebench (schema ${current}; this version knows up to ${latest}). ` +
        'Update Tunebench, or point --data-dir at another directory. The database was left untouched.',
      { databaseVersion: current, supportedVersion: latest },
    );
  }
  const pending = migrations.filter((m) => m.version > current).sort((a, b) => a.version - b.version);
  if (pending.length === 0) return [];
  // IMMEDIATE takes the write lock first, so two processes starting together cannot both migrate.
  const apply = db.transaction(() => {
    const again = currentVersion(db);
    const todo = pending.filter((m) => m.version > again);
    if (todo.length === 0) return;
    // One statement list and one version bump: a new data directory runs every migration, and each
    // exec and pragma is a round through SQLite's parser (this is on every new data directory's start).
    db.exec(todo.map((m) => m.up).join(';\n'));
    db.pragma(`user_version = ${todo[todo.length - 1]!.version}`);
  });
  apply.immediate();
  return pending.map((m) => m.version);
}
